"""One JSON error format for the whole API, and error ids instead of tracebacks.

Every 4xx: ``{"error": {"code": ..., "message": ..., "fields": {...}}}``.
A 500: ``{"error": {"code": "server_error", "message": ..., "error_id": ...}}``; the
traceback goes to the log under that id, never to the client.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from cnt_detox.core.input_guard import api_error, is_api, page_error, too_large

logger = logging.getLogger("cnt_detox.errors")


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "The object changed since you loaded it; reload and try again."


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_code = "precondition_required"
    default_detail = "Send an If-Match header with the version you edited."


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"
    default_detail = "The request cannot be processed."


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


def _flatten(detail: Any) -> Any:
    if isinstance(detail, list):
        return [_flatten(d) for d in detail]
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    return str(detail)


def django_validation_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if k == "__all__" else k): [str(m) for m in v]
            for k, v in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


# What still escapes a view when input is bad: a body too large that was streamed without a
# length, or a date/number out of range that reached arithmetic. A 4xx, never a 500.
TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent)
OUT_OF_RANGE = (OverflowError, RecursionError)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, TOO_LARGE):
        return Response(
            error_body("too_large", "The request is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, OUT_OF_RANGE):
        return Response(
            error_body("invalid", "A date or number is out of range."),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        fields = django_validation_fields(exc)
        return Response(
            error_body("invalid", "Some fields are not valid; see fields.", fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = (
            _flatten(detail) if isinstance(detail, dict) else {"non_field_errors": _flatten(detail)}
        )
        body = error_body("invalid", "Some fields are not valid; see fields.", fields)
    else:
        detail = getattr(exc, "detail", "")
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        message = str(detail) if not isinstance(detail, dict | list) else "Request failed."
        body = error_body(code, message)
    response.data = body
    return response


class ErrorIdMiddleware:
    """Give every unhandled exception an id: logged with the traceback, shown to the user."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404 | PermissionDenied):
            return None
        bad_input = _bad_input_response(request, exception)
        if bad_input is not None:
            return bad_input
        error_id = uuid.uuid4().hex[:12]
        request.error_id = error_id  # type: ignore[attr-defined]
        logger.exception("Unhandled error %s on %s %s", error_id, request.method, request.path)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "error": {
                        "code": "server_error",
                        "message": "Something went wrong on our side; quote the error id.",
                        "error_id": error_id,
                        "fields": {},
                    }
                },
                status=500,
            )
        return None


def _bad_input_response(request: HttpRequest, exception: Exception) -> HttpResponse | None:
    """A 4xx for an exception that bad input caused (e.g. ``?unit=x`` reaching a UUID lookup
    raises a Django ValidationError), in the API format or as the page; None otherwise."""
    if isinstance(exception, TOO_LARGE):
        return too_large(request)
    if isinstance(exception, DjangoValidationError):
        fields = django_validation_fields(exception)
        message = "Some of what was sent cannot be accepted."
    elif isinstance(exception, OUT_OF_RANGE):
        fields = {}
        message = "A date or number is out of range."
    else:
        return None
    logger.info("Bad input on %s %s: %s", request.method, request.path, type(exception).__name__)
    if is_api(request):
        return api_error("invalid", message, 400, fields)
    return page_error(request, 400, message, fields)


def server_error_page(request: HttpRequest) -> HttpResponse:
    """handler500: a plain page with the error id and what to do next."""
    return render(request, "500.html", {"error_id": getattr(request, "error_id", "")}, status=500)
