"""Second factor (TOTP with backup codes) for logins and for signing.

Other features call two functions:

- ``user_has_second_factor(user)``: the user has a confirmed authenticator app.
- ``verify_second_factor(user, code)``: the code is a current TOTP code or an unused backup
  code of that user. The tapering feature asks for it when a physician signs a plan, so a
  stolen session alone cannot sign.

Throttling is ours, not django-otp's (its throttle factors are 0 in settings): django-otp
refused every code for a second after one wrong code, so a tired user who mistyped and then
typed the right code at once was refused and counted towards the lockout. Here the first
FREE_RETRIES wrong codes cost no wait; after that each wrong code doubles the wait (1 s, 2 s,
4 s ... up to MAX_WAIT_SECONDS), and the login lockout (django-axes) still ends a guessing run
after AXES_FAILURE_LIMIT failures. A TOTP code is accepted once only (django-otp's last_t), so
a code cannot be replayed, and codes one 30-second step either side of now are accepted
(OTP_TOTP_TOLERANCE) for a phone whose clock drifts.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

# Wrong codes in a row that cost no wait (a typo, then the right code). A security setting,
# not a clinical number.
FREE_RETRIES = 2
MAX_WAIT_SECONDS = 15 * 60
# Longest code we compare: 6-8 digit TOTP or a backup code; anything longer is not a code.
MAX_CODE_LENGTH = 16
_SEPARATORS = re.compile(r"[\s-]+")
BACKUP_DEVICE_NAME = "backup"


def normalise_code(code: Any) -> str:
    """Strip spaces and dashes people type or paste ("123 456"); '' when it cannot be a code."""
    if not isinstance(code, str):
        return ""
    cleaned = _SEPARATORS.sub("", code).lower()
    if not cleaned or len(cleaned) > MAX_CODE_LENGTH or not cleaned.isalnum():
        return ""
    return cleaned


def second_factor_required(user: Any) -> bool:
    """The user's role is listed in OTP_REQUIRED_ROLES."""
    if not getattr(user, "is_authenticated", False):
        return False
    required = {r.strip() for r in getattr(settings, "OTP_REQUIRED_ROLES", []) if r.strip()}
    return bool(user.role) and user.role in required


def user_has_second_factor(user: Any) -> bool:
    """The user has a confirmed authenticator app (backup codes alone do not count)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


# Whether the logged-in user had an authenticator when this session began, stored at login
# so the gate in SecondFactorMiddleware costs no query per request.
SESSION_ENROLLED_KEY = "_otp_enrolled"


def remember_enrolment(request: Any, user: Any) -> None:
    """user_logged_in receiver (also runs for the test client's force_login)."""
    if hasattr(request, "session"):
        request.session[SESSION_ENROLLED_KEY] = user_has_second_factor(user)


def session_has_second_factor(request: Any) -> bool:
    enrolled = request.session.get(SESSION_ENROLLED_KEY)
    if enrolled is None:
        enrolled = user_has_second_factor(request.user)
        request.session[SESSION_ENROLLED_KEY] = enrolled
    return bool(enrolled)


def match_second_factor(user: Any, code: Any) -> Any:
    """The confirmed device that accepts ``code`` (TOTP first, then a backup code), or None."""
    token = normalise_code(code)
    if not token or not getattr(user, "is_authenticated", False):
        return None
    devices = list(devices_for_user(user, confirmed=True))
    now = timezone.now()
    if any(seconds_to_wait(device, now) > 0 for device in devices):
        return None
    for device in devices:
        # With the throttle factor at 0 django-otp still counts failures on the device
        # (throttling_failure_count) and resets them on success; seconds_to_wait reads them.
        if device.verify_token(token):
            for other in devices:
                if other is not device and getattr(other, "throttling_failure_count", 0):
                    other.throttle_reset()
            return device
    return None


def seconds_to_wait(device: Any, now: Any) -> float:
    """How long ``device`` refuses codes after its recent failures (0 when it accepts them)."""
    failures = getattr(device, "throttling_failure_count", 0)
    last = getattr(device, "throttling_failure_timestamp", None)
    if failures <= FREE_RETRIES or last is None:
        return 0.0
    wait = min(2 ** (failures - FREE_RETRIES - 1), MAX_WAIT_SECONDS)
    return max(0.0, wait - (now - last).total_seconds())


def verify_second_factor(user: Any, code: Any) -> bool:
    """True when ``code`` is a current TOTP code or an unused backup code of ``user``."""
    return match_second_factor(user, code) is not None


def confirmed_totp_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def new_totp_device(user: Any) -> TOTPDevice:
    """An unconfirmed authenticator for enrolment; replaces earlier unconfirmed ones."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def pending_totp_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def new_backup_codes(user: Any) -> list[str]:
    """Replace the user's backup codes with fresh ones; the caller shows them once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.OTP_BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def remaining_backup_codes(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def remove_second_factor(user: Any) -> None:
    """Forget every authenticator and backup code of ``user`` (re-enrolment or reset)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def qr_svg(text: str) -> str:
    """An inline SVG QR code drawn on the server (no external service sees the secret)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return image.to_string(encoding="unicode")


def signing_second_factor(user: Any, code: Any) -> bool:
    """The one-time code a signature needs when the signer has enrolled a second factor (taper
    plans, medication orders, discharge summaries). True when one was checked; a missing or
    wrong code is a field error on ``otp_code`` and nothing is signed."""
    if not user_has_second_factor(user):
        return False
    if not code:
        raise ValidationError({"otp_code": ["Enter the one-time code from your authenticator."]})
    if not verify_second_factor(user, code):
        raise ValidationError({"otp_code": ["The one-time code is not correct; nothing signed."]})
    return True
