"""Session idle timeout, the second-factor gate, cache headers."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from cnt_detox.core.otp import second_factor_required, session_has_second_factor

LAST_ACTIVITY_KEY = "_last_activity"
LOGIN_AT_KEY = "_login_at"
# Requests that poll in the background (notification bell, board refresh) send this header;
# they must not count as activity, or an unattended workstation would never log out.
BACKGROUND_HEADER = "HTTP_X_BACKGROUND_POLL"
# Activity is stamped at most once a minute: re-stamping on every request would write the
# session row (BEGIN, UPDATE, COMMIT) on every page view. The cost is that a session may end
# up to this much before the configured idle limit, never after it.
ACTIVITY_RESOLUTION_SECONDS = 60


def stamp_login(
    sender: object, request: HttpRequest | None, user: object, **kwargs: object
) -> None:
    """user_logged_in receiver: the session starts now and counts as active now."""
    session = getattr(request, "session", None)
    if session is not None:
        now = time.time()
        session[LOGIN_AT_KEY] = now
        session[LAST_ACTIVITY_KEY] = now


def _duration(seconds: int) -> str:
    """'15 minutes', '12 hours', '90 seconds': the limit as the user reads it."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def is_background(request: HttpRequest) -> bool:
    return request.META.get(BACKGROUND_HEADER) == "1"


def session_remaining_seconds(request: HttpRequest) -> int:
    """Seconds until the idle (or absolute) limit ends this session, as the server counts."""
    now = time.time()
    session = request.session
    last = session.get(LAST_ACTIVITY_KEY, now)
    started = session.get(LOGIN_AT_KEY, now)
    ends = min(
        last + settings.SESSION_IDLE_TIMEOUT_SECONDS,
        started + settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS,
    )
    return max(0, int(ends - now))


def background_view(view: Any) -> Any:
    """Mark a view that pages call by themselves (board refresh, bell count, the countdown's
    session check): it never counts as activity, whatever headers the client sends. An
    unattended board must log out; only a person's own requests keep a session alive."""
    view.counts_as_activity = False
    return view


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
                return self._end_session(request, idle=idle)
        return self.get_response(request)

    def _end_session(self, request: HttpRequest, *, idle: bool) -> HttpResponse:
        logout(request)
        if idle:
            reason = f"{_duration(settings.SESSION_IDLE_TIMEOUT_SECONDS)} without activity"
        else:
            reason = (
                f"{_duration(settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS)}, "
                "the longest a session may last"
            )
        # Kept for the next page the person opens, also when a background call (board
        # refresh, countdown) ended the session: the login page then says why.
        messages.info(request, f"You were logged out after {reason}. Log in again to continue.")
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
        return redirect(f"{settings.LOGIN_URL_PATH}?{urlencode({'next': request.path})}")

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> None:
        """Stamp activity once the view is known, so a background view never stamps it."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "session"):
            return None
        if is_background(request) or not getattr(view_func, "counts_as_activity", True):
            return None
        now = time.time()
        last = request.session.get(LAST_ACTIVITY_KEY)
        # A tenth of the limit when that is shorter, so a short limit is kept to closely.
        resolution = min(ACTIVITY_RESOLUTION_SECONDS, settings.SESSION_IDLE_TIMEOUT_SECONDS // 10)
        if last is None or now - last >= resolution:
            request.session[LAST_ACTIVITY_KEY] = now
        return None


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


class SecondFactorMiddleware:
    """Hold a password-only session at the second-factor step until it is completed.

    - Enrolled users (any role) must enter a code before anything else.
    - Users whose role is in OTP_REQUIRED_ROLES and who have no authenticator are sent to
      enrolment first.

    Token-authenticated API calls never reach this check with a user (DRF authenticates in the
    view); the token endpoint asks for the code itself.
    """

    # Reachable while the second factor is pending: the step itself, logout, static files.
    OPEN_NAMES = (
        "core:otp-verify",
        "core:otp-setup",
        "logout",
        "login",
        "healthz",
        "service-worker",
        "web-manifest",
    )

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self._open_paths: tuple[str, ...] | None = None

    def _is_open(self, path: str) -> bool:
        if self._open_paths is None:
            self._open_paths = tuple(reverse(name) for name in self.OPEN_NAMES)
        return path in self._open_paths or path.startswith(settings.STATIC_URL_PATH)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or user.is_verified()
            or self._is_open(request.path)
        ):
            return self.get_response(request)
        if session_has_second_factor(request):
            target, code = "core:otp-verify", "otp_required"
            message = "Enter the code from your authenticator app to continue."
        elif second_factor_required(user):
            target, code = "core:otp-setup", "otp_enrolment_required"
            message = "Your role requires two-factor login; set up an authenticator app first."
        else:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"error": {"code": code, "message": message, "fields": {}}}, status=401
            )
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return redirect(reverse(target) + (f"?{query}" if query else ""))
