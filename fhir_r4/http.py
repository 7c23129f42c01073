"""The FHIR REST layer's plumbing: application/fhir+json in and out, errors as
OperationOutcome (fhir.md "Errors are OperationOutcome resources"), never a traceback.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cnt_detox.core.permissions import IsClinician
from fhir_r4.resources.common import FHIR_JSON

logger = logging.getLogger("fhir.errors")


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class FhirJSONParser(JSONParser):
    media_type = FHIR_JSON


class FhirNegotiation(BaseContentNegotiation):
    """Always answer application/fhir+json (our only format), whatever Accept says."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


def outcome(
    message: str, code: str = "processing", expressions: list[str] | None = None
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": message}
    if expressions:
        issue["expression"] = expressions
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_of_issues(issues: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": issues}


class FhirError(exceptions.APIException):
    """An error with its HTTP status and an OperationOutcome body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(detail=body["issue"][0].get("diagnostics", ""))
        self.status_code = status
        self.body = body


def fail(status: int, message: str, code: str = "processing", expressions: Any = None) -> NoReturn:
    raise FhirError(status, outcome(message, code, expressions))


_MAPPED: tuple[tuple[type[Exception], int, str], ...] = (
    (exceptions.NotAuthenticated, 401, "login"),
    (exceptions.AuthenticationFailed, 401, "login"),
    (exceptions.PermissionDenied, 403, "forbidden"),
    (PermissionDenied, 403, "forbidden"),
    (exceptions.NotFound, 404, "not-found"),
    (Http404, 404, "not-found"),
    (exceptions.MethodNotAllowed, 405, "not-supported"),
    (exceptions.UnsupportedMediaType, 415, "not-supported"),
    (exceptions.ParseError, 400, "structure"),
    (exceptions.Throttled, 429, "throttled"),
)


def fhir_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, FhirError):
        return Response(exc.body, status=exc.status_code)
    for kind, status, code in _MAPPED:
        if isinstance(exc, kind):
            message = str(getattr(exc, "detail", "") or exc) or code
            if status == 404:
                message = "Not found (or not in your units)."
            response = Response(outcome(message, code), status=status)
            if isinstance(exc, exceptions.APIException):
                auth = getattr(exc, "auth_header", None)
                if auth:
                    response["WWW-Authenticate"] = auth
            return response
    if isinstance(exc, exceptions.APIException):
        return Response(outcome(str(exc.detail)), status=exc.status_code)
    error_id = uuid.uuid4().hex[:12]
    logger.exception("Unhandled FHIR error %s", error_id)
    return Response(
        outcome(f"Something went wrong on our side; quote error id {error_id}.", "exception"),
        status=500,
    )


class FhirView(APIView):
    """Base of every FHIR endpoint: token or session, nurses and physicians unless set."""

    renderer_classes = [FhirJSONRenderer]
    parser_classes = [FhirJSONParser, JSONParser]
    content_negotiation_class = FhirNegotiation
    permission_classes = [IsClinician]

    def get_exception_handler(self) -> Any:
        return fhir_exception_handler
