"""Session idle timeout and cache headers."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

LAST_ACTIVITY_KEY = "_last_activity"
LOGIN_AT_KEY = "_login_at"
# Requests that poll in the background (notification bell, board refresh) send this header;
# they must not count as activity, or an unattended workstation would never log out.
BACKGROUND_HEADER = "HTTP_X_BACKGROUND_POLL"


def is_background(request: HttpRequest) -> bool:
    return request.META.get(BACKGROUND_HEADER) == "1"


class IdleSessionMiddleware:
    """Log out after SESSION_IDLE_TIMEOUT_SECONDS idle or SESSION_ABSOLUTE_TIMEOUT_SECONDS total.

    Only session (browser) logins carry these stamps; token-authenticated API calls have no
    session and pass through untouched.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            session = request.session
            last = session.get(LAST_ACTIVITY_KEY)
            started = session.setdefault(LOGIN_AT_KEY, now)
            idle = last is not None and now - last > settings.SESSION_IDLE_TIMEOUT_SECONDS
            too_long = now - started > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS
            if idle or too_long:
                logout(request)
                reason = "inactivity" if idle else "the 12-hour limit"
                if request.path.startswith("/api/") or is_background(request):
                    return JsonResponse(
                        {
                            "error": {
                                "code": "session_expired",
                                "message": f"Your session ended after {reason}; log in again.",
                                "fields": {},
                            }
                        },
                        status=401,
                    )
                messages.info(request, f"You were logged out after {reason}. Please log in again.")
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            if not is_background(request):
                session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages and API answers for a logged-in user may carry patient data: never cache them."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(settings.STATIC_URL_PATH):
            return response
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response
