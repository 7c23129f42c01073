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


def client_str(
    username: Any, ip_address: Any, user_agent: Any, path_info: Any, request: Any
) -> str:
    """How axes names a client in the application log: address and path, never the username.

    People type MRNs, patient names and their own passwords into the username field; the
    admin site's "Access attempts" list (in the database) still shows the usernames.
    """
    if isinstance(path_info, tuple | list):
        path_info = path_info[0] if path_info else ""
    return f'{{ip_address: "{ip_address}", path_info: "{path_info}"}}'


# The longest username an account can have (Django's User.username, max_length 150): a
# longer typed name is no account, and axes stores the name in a varchar(255), which a
# 5,000-character login attempt overflowed (a 500 on PostgreSQL, found by the form fuzz).
MAX_USERNAME_CHARS = 150


def client_username(request: HttpRequest, credentials: Any = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username axes counts failures for, cut to a real length."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    return None if username is None else str(username)[:MAX_USERNAME_CHARS]
