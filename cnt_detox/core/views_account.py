"""Account pages: login/logout wrappers, the second-factor step, enrolment, password change."""

from __future__ import annotations

import base64
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from cnt_detox.core import audit
from cnt_detox.core import otp as second_factor
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.lockout import lockout_response
from cnt_detox.core.middleware import background_view, session_remaining_seconds
from cnt_detox.core.services import (
    api_tokens_revoke,
    backup_codes_renew,
    live_tokens,
    second_factor_confirm,
    second_factor_remove,
    user_password_set,
)

# Tells the browser to drop this origin's cache, cookies and storage (localStorage,
# IndexedDB, service workers) on logout, so the next person at a shared workstation finds
# nothing of the last user's patients.
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(
            actor=self.request.user,
            action=AuditAction.LOGGED_IN,
            client=Client.from_request(self.request),
        )
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            audit.record(
                actor=request.user,
                action=AuditAction.LOGGED_OUT,
                client=Client.from_request(request),
            )
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password, then end this session too (OWASP ASVS 3.3.3).

    Django's stock view keeps the current session alive (update_session_auth_hash); here the
    user logs in again with the new password, which also proves they know it.
    """

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form: Any) -> HttpResponse:
        user_password_set(
            actor=form.user,
            password=form.cleaned_data["new_password1"],
            client=Client.from_request(self.request),
        )
        logout(self.request)
        messages.success(self.request, "Your password was changed. Log in with the new one.")
        response = redirect(self.get_success_url())
        response["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _lock_out(request: HttpRequest, user: Any) -> HttpResponse | None:
    """Count a wrong code as a failed login; end the session once the limit is reached."""
    credentials = {"username": user.get_username()}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    audit.record(actor=user, action=AuditAction.OTP_FAILED, client=Client.from_request(request))
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return lockout_response(request)
    return None


@never_cache
@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Second step of login: a code from the authenticator app or one backup code."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not second_factor.user_has_second_factor(user):
        return redirect("core:otp-setup")
    error = ""
    if request.method == "POST":
        device = second_factor.match_second_factor(user, request.POST.get("code"))
        if device is not None:
            otp_login(request, device)
            request.session.cycle_key()
            used_backup = isinstance(device, StaticDevice)
            audit.record(
                actor=user,
                action=AuditAction.OTP_VERIFIED,
                client=Client.from_request(request),
                details={"method": "backup_code" if used_backup else "totp"},
            )
            if used_backup:
                left = second_factor.remaining_backup_codes(user)
                messages.warning(
                    request,
                    f"You used a backup code; {left} left. Make new ones on your account page.",
                )
            return redirect(_next_url(request))
        locked = _lock_out(request, user)
        if locked is not None:
            return locked
        error = "That code did not work. Enter the current 6-digit code or one backup code."
    return render(
        request,
        "registration/otp_verify.html",
        {"error": error, "next": _next_url(request)},
        status=400 if error else 200,
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code, confirm with a code, get backup codes."""
    user = request.user
    if second_factor.user_has_second_factor(user):
        if not user.is_verified():
            return redirect("core:otp-verify")
        return redirect("core:account")
    device = second_factor.pending_totp_device(user)
    error = ""
    if request.method == "POST" and device is not None:
        code = second_factor.normalise_code(request.POST.get("code"))
        codes = second_factor_confirm(
            actor=user, device=device, code=code, client=Client.from_request(request)
        )
        if codes is not None:
            request.session[second_factor.SESSION_ENROLLED_KEY] = True
            otp_login(request, device)
            request.session.cycle_key()
            # Rendered on the POST response (not a redirect) so the codes are shown once.
            return render(
                request,
                "registration/otp_backup_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        error = "That code did not match. Check the time on your phone and try the new code."
    if device is None:
        device = second_factor.new_totp_device(user)
    return render(
        request,
        "registration/otp_setup.html",
        {
            "qr_svg": second_factor.qr_svg(device.config_url),
            "secret": base64.b32encode(device.bin_key).decode(),
            "error": error,
            "required": second_factor.second_factor_required(user),
            "next": _next_url(request),
        },
        status=400 if error else 200,
    )


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "registration/account.html",
        {
            "enrolled": second_factor.user_has_second_factor(user),
            "required": second_factor.second_factor_required(user),
            "backup_left": second_factor.remaining_backup_codes(user),
            "api_tokens": live_tokens(user),
        },
    )


@never_cache
@login_required
@require_POST
def api_tokens_revoke_all(request: HttpRequest) -> HttpResponse:
    """End every API token of this user (a lost phone, a script that should stop)."""
    count = api_tokens_revoke(
        actor=request.user, user=request.user, reason="revoked", client=Client.from_request(request)
    )
    messages.info(request, f"{count} API token(s) ended." if count else "No API token was live.")
    return redirect("core:account")


@never_cache
@login_required
@require_POST
def otp_backup_codes(request: HttpRequest) -> HttpResponse:
    """Replace the backup codes (needs a session that passed the second factor)."""
    user = request.user
    if not (second_factor.user_has_second_factor(user) and user.is_verified()):
        return redirect("core:account")
    codes = backup_codes_renew(actor=user, client=Client.from_request(request))
    return render(
        request, "registration/otp_backup_codes.html", {"codes": codes, "next": reverse("home")}
    )


@never_cache
@login_required
@require_POST
def otp_remove(request: HttpRequest) -> HttpResponse:
    """Turn two-factor login off (roles that do not require it) or start over on a new phone."""
    user = request.user
    if not user.is_verified():
        return redirect("core:account")
    second_factor_remove(actor=user, user=user, client=Client.from_request(request))
    request.session[second_factor.SESSION_ENROLLED_KEY] = False
    if second_factor.second_factor_required(user):
        # A required role goes straight to enrolment again; the session stays verified only
        # for the device that no longer exists, so clear it.
        request.session.pop("otp_device_id", None)
        return redirect("core:otp-setup")
    messages.info(request, "Two-factor login is off for your account.")
    return redirect("core:account")


@background_view
@require_http_methods(["GET"])
def session_status(request: HttpRequest) -> HttpResponse:
    """Seconds left before the idle logout, for the page's countdown.

    The countdown calls this when its own clock says time is up instead of navigating
    (a navigation would count as activity and renew the session of an unattended board).
    It never counts as activity itself (background_view); an expired session was already
    ended by IdleSessionMiddleware, which answers 401.
    """
    if not request.user.is_authenticated:
        return JsonResponse(
            {
                "error": {
                    "code": "not_authenticated",
                    "message": "You are not logged in.",
                    "fields": {},
                }
            },
            status=401,
        )
    return JsonResponse({"remaining_seconds": session_remaining_seconds(request)})


@require_POST
@login_required
def session_keepalive(request: HttpRequest) -> HttpResponse:
    """ "Stay logged in" on the two-minute warning: a person pressed it, so it is activity."""
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"remaining_seconds": session_remaining_seconds(request)})
    return redirect(_next_url(request))
