"""API tokens that end (issue 18.3): `Authorization: Token <key>`.

A token works while all of these hold, checked in the one query that finds it:

- not revoked (API logout, password change, deactivation, an admin's two-factor reset) and
  not past ``expires_at`` (API_TOKEN_TTL_SECONDS after issue, default 12 hours);
- the user is active and still has the password the token was issued under (``password_digest``
  is an HMAC of the stored password hash, so a change through any path ends the token);
- when it was issued after a one-time code, that authenticator still exists and is confirmed;
- when the user's role requires two-factor login, the token was issued after a one-time code
  (a token from before the requirement stops working).

Considered django-rest-knox (hashed, expiring tokens; its current release lists Django 5.2):
it stores neither the last use nor the password and authenticator a token was issued under,
so it would need a custom token model and authentication class all the same; a small model of
our own keeps the whole rule in this file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from cnt_detox.core.audit import client_ip
from cnt_detox.core.models import ApiToken
from cnt_detox.core.otp import second_factor_required

# How stale last_used_at may get before a request writes it again: one UPDATE a minute per
# token instead of one per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
KEY_BYTES = 32
ENDED = "Your API token has expired or was revoked. Request a new one at /api/v1/auth/token/."


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_digest(user: Any) -> str:
    """HMAC of the stored password hash: changes whenever the password does."""
    return hmac.new(
        settings.SECRET_KEY.encode(), (user.password or "").encode(), hashlib.sha256
    ).hexdigest()


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


class ExpiringTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        # DRF builds the authenticators per request, so keeping the request here is safe.
        self._request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        now = timezone.now()
        device_ok = TOTPDevice.objects.filter(pk=OuterRef("otp_device_id"), confirmed=True)
        token = (
            ApiToken.objects.live(now)
            .filter(key_digest=key_digest(key))
            .select_related("user")
            .annotate(device_ok=Exists(device_ok))
            .first()
        )
        if token is None or not token.user.is_active:
            raise AuthenticationFailed(ENDED)
        user = token.user
        if not hmac.compare_digest(token.password_digest, password_digest(user)):
            raise AuthenticationFailed(ENDED)
        if token.otp_device_id is not None and not token.device_ok:
            raise AuthenticationFailed(ENDED)
        if token.otp_device_id is None and second_factor_required(user):
            raise AuthenticationFailed(
                "Your role now requires two-factor login: request a new token with your "
                "one-time code."
            )
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ip = client_ip(getattr(getattr(self, "_request", None), "_request", None))
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
            token.last_used_at, token.last_used_ip = now, ip
        return user, token
