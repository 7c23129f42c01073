"""What a locked-out client sees (django-axes AXES_LOCKOUT_CALLABLE)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from cnt_detox.core.errors import error_body

LOCKED_MESSAGE = (
    "Too many failed logins: this account or address is locked for a while. "
    "Ask an administrator to unlock it sooner."
)


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """429 in the API's error format for /api/, the lockout page otherwise."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("locked_out", LOCKED_MESSAGE), status=429)
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_timedelta": settings.AXES_COOLOFF_TIME,
        },
        status=429,
    )
