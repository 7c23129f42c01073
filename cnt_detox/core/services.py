"""Writes of core's own records: API tokens and the second factor (issue 19.5).

Each runs in one transaction with its audit row, so a failed write leaves no audit event and
a committed one always has it (architecture: services).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from cnt_detox.core import audit
from cnt_detox.core import otp as second_factor
from cnt_detox.core.models import ApiToken
from cnt_detox.core.tokens import key_digest, new_key, password_digest


def api_token_issue(
    *, user: Any, otp_device: Any = None, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the key, which is shown only now.

    ``otp_device`` is the authenticator that confirmed this login (None without one).
    """
    now = timezone.now()
    key = new_key()
    with transaction.atomic():
        token = ApiToken(
            user=user,
            key_digest=key_digest(key),
            prefix=key[:8],
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS),
            password_digest=password_digest(user),
            otp_device_id=getattr(otp_device, "pk", None),
        )
        token.full_clean()
        token.save()
        audit.record(
            actor=user,
            action="auth.token_issued",
            obj=token,
            request=request,
            details={"expires_at": token.expires_at, "second_factor": otp_device is not None},
        )
    return token, key


def api_tokens_revoke(
    *,
    user: Any,
    reason: str,
    actor: Any = None,
    token: ApiToken | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Revoke ``token`` (or every live token of ``user``); returns how many ended.

    Reasons: logout, password_changed, deactivated, second_factor_reset, second_factor_removed,
    revoked (from the Account page).
    """
    with transaction.atomic():
        # Conditional UPDATE: a token revoked twice at once is counted (and audited) once.
        tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
        if token is not None:
            tokens = tokens.filter(pk=token.pk)
        count = tokens.update(revoked_at=timezone.now(), revoked_reason=reason[:32])
        if count:
            audit.record(
                actor=actor or user,
                action="auth.token_revoked",
                object_type="core.user",
                object_id=str(user.public_id),
                request=request,
                details={"reason": reason, "tokens": count},
            )
    return count


def user_password_set(*, user: Any, password: str, request: HttpRequest | None = None) -> None:
    """Set a new (already validated) password; every API token of the user ends with it."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(actor=user, action="auth.password_changed", request=request)
        api_tokens_revoke(user=user, reason="password_changed", request=request)


def live_tokens(user: Any) -> list[ApiToken]:
    return list(ApiToken.objects.live().filter(user=user).order_by("-created_at"))


def second_factor_confirm(
    *, user: Any, device: Any, code: str, request: HttpRequest | None = None
) -> list[str] | None:
    """Confirm a pending authenticator with a code; returns the new backup codes, or None
    when the code does not match (nothing changed)."""
    with transaction.atomic():
        if not (code and device.verify_token(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = second_factor.new_backup_codes(user)
        audit.record(actor=user, action="auth.otp_enrolled", request=request)
    return codes


def backup_codes_renew(*, user: Any, request: HttpRequest | None = None) -> list[str]:
    with transaction.atomic():
        codes = second_factor.new_backup_codes(user)
        audit.record(actor=user, action="auth.otp_backup_codes_renewed", request=request)
    return codes


def second_factor_remove(
    *, user: Any, actor: Any = None, request: HttpRequest | None = None
) -> None:
    """Forget the user's authenticator and backup codes (their own choice or an admin's
    reset); their API tokens end with it."""
    by_admin = actor is not None and actor != user
    with transaction.atomic():
        second_factor.remove_second_factor(user)
        audit.record(
            actor=actor or user,
            action="auth.otp_reset" if by_admin else "auth.otp_removed",
            object_type="core.user",
            object_id=str(user.public_id),
            request=request,
        )
        api_tokens_revoke(
            user=user,
            reason="second_factor_reset" if by_admin else "second_factor_removed",
            actor=actor,
            request=request,
        )
