"""One guard for untrusted input, before any view sees it (issue 19: bad input is a 400 or a
413 in the error format, never a 500).

Three places every request's input passes through use it, so a new endpoint or form is
covered without its own code:

- ``InputGuardMiddleware``: the body size (413 before anything reads it), and every query
  parameter and form field (NUL bytes; dates outside the plausible range);
- ``GuardedJSONParser`` (the API's only parser): JSON nested deeper than ``MAX_JSON_DEPTH``,
  and every string and key of the parsed body (the same checks, with the field's path);
- ``cnt_detox.core.errors`` turns what still escapes a view (a Django ``ValidationError``
  such as a non-UUID id in a filter, a date or number out of range, a body too large) into a
  400/413 instead of a 500.

The limits are input sanity, not clinical thresholds. Clinical times have their own,
tighter plausibility rules in the services (not before the admission, not in the future).
- NUL: PostgreSQL text and JSONB cannot store it (the audit row of the request would fail).
- Dates: years ``MIN_YEAR``-``MAX_YEAR``. Year 1 or 9999 overflow time-zone and day
  arithmetic; nobody alive was born before 1900 and no plan runs past 2200.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MIN_YEAR = 1900
MAX_YEAR = 2200
MAX_JSON_DEPTH = 32
NUL_MESSAGE = "This contains a character that is not allowed (NUL); remove it and try again."
DATE_MESSAGE = f"Dates must be between the years {MIN_YEAR} and {MAX_YEAR}."
TOO_LARGE_MESSAGE = "The request is too large."
# An ISO date (alone, or starting a date-time) as the form, API and report fields take them.
_ISO_DATE = re.compile(r"\s*[+-]?(?P<year>\d{4,})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:[T ]|\s*$)")


def value_problem(value: str) -> str | None:
    """Why ``value`` cannot be accepted anywhere, or None."""
    if "\x00" in value:
        return NUL_MESSAGE
    match = _ISO_DATE.match(value)
    if match is None or not (1 <= int(match["month"]) <= 12 and 1 <= int(match["day"]) <= 31):
        return None
    year = match["year"]
    # More than four digits is out of range whatever they are (and int() of a huge one fails).
    if len(year) > 4 or not MIN_YEAR <= int(year) <= MAX_YEAR:
        return DATE_MESSAGE
    return None


def mapping_problems(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Problems of a QueryDict (query string or form), by parameter name."""
    problems: dict[str, list[str]] = {}
    lists = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
    for key, values in lists:
        name = key.replace("\x00", "")
        if "\x00" in key:
            problems.setdefault(name or "non_field_errors", []).append(NUL_MESSAGE)
        for value in values:
            problem = value_problem(value) if isinstance(value, str) else None
            if problem and problem not in problems.get(name, []):
                problems.setdefault(name, []).append(problem)
    return problems


def json_problems(data: Any) -> dict[str, list[str]]:
    """Problems of a parsed JSON body, by field path (``substances.0.agent``).

    Walks with an explicit stack (no recursion) and refuses nesting beyond MAX_JSON_DEPTH.
    """
    problems: dict[str, list[str]] = {}
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise exceptions.ParseError(
                f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep."
            )
        if isinstance(node, dict):
            for key, value in node.items():
                child = f"{path}.{key}" if path else str(key)
                if "\x00" in str(key):
                    problems.setdefault(child.replace("\x00", ""), []).append(NUL_MESSAGE)
                stack.append((value, child, depth + 1))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                stack.append((value, f"{path}.{index}" if path else str(index), depth + 1))
        elif isinstance(node, str):
            problem = value_problem(node)
            if problem:
                problems.setdefault(path or "non_field_errors", []).append(problem)
    return problems


class GuardedJSONParser(JSONParser):
    """DRF's JSON parser, plus: deep nesting is a parse error (not a RecursionError), and
    NUL bytes and implausible dates are field errors."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep."
            ) from None
        problems = json_problems(data)
        if problems:
            raise exceptions.ValidationError(problems)
        return data


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def api_error(code: str, message: str, status: int, fields: dict | None = None) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return JsonResponse(body, status=status)


def page_error(
    request: HttpRequest, status: int, message: str, fields: dict[str, list[str]] | None = None
) -> HttpResponse:
    context = {"message": message, "fields": sorted((fields or {}).items())}
    return render(request, "400.html", context, status=status)


def too_large(request: HttpRequest) -> HttpResponse:
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    message = f"{TOO_LARGE_MESSAGE} The limit is {limit_mb:.1f} MB."
    if is_api(request):
        return api_error("too_large", message, 413)
    return page_error(request, 413, message)


def invalid(request: HttpRequest, fields: dict[str, list[str]]) -> HttpResponse:
    message = "Some fields are not valid; see fields."
    if is_api(request):
        return api_error("invalid", message, 400, fields)
    return page_error(request, 400, "Some of what was sent cannot be accepted.", fields)


class InputGuardMiddleware:
    """Refuse oversized bodies (413) and NUL bytes or implausible dates in query strings and
    form fields (400), before a view, the audit log or the database sees them."""

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return too_large(request)
        problems = mapping_problems(request.GET)
        if request.method == "POST" and request.content_type in self.FORM_TYPES:
            try:
                problems |= mapping_problems(request.POST)
            except RequestDataTooBig:
                return too_large(request)
        if problems:
            return invalid(request, problems)
        return self.get_response(request)
