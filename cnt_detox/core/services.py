"""Writes of core's own records: API tokens and the second factor (issue 19.5).

Each runs in one transaction with its audit row, so a failed write leaves no audit event and
a committed one always has it (architecture: services).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cnt_detox.core import audit
from cnt_detox.core import otp as second_factor
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import ApiToken, User
from cnt_detox.core.tokens import key_digest, new_key, password_digest


def api_token_issue(
    *, actor: User, otp_device: Any = None, client: Client | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the key, which is shown only now.

    ``otp_device`` is the authenticator that confirmed this login (None without one).
    """
    now = timezone.now()
    key = new_key()
    with transaction.atomic():
        token = ApiToken(
            user=actor,
            key_digest=key_digest(key),
            prefix=key[:8],
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS),
            password_digest=password_digest(actor),
            otp_device_id=getattr(otp_device, "pk", None),
        )
        token.full_clean()
        token.save()
        audit.record(
            actor=actor,
            action=AuditAction.TOKEN_ISSUED,
            obj=token,
            client=client,
            details={"expires_at": token.expires_at, "second_factor": otp_device is not None},
        )
    return token, key


def api_tokens_revoke(
    *,
    actor: User,
    user: Any,
    reason: str,
    token: ApiToken | None = None,
    client: Client | None = None,
) -> int:
    """Revoke ``token`` (or every live token of ``user``); returns how many ended.

    ``actor`` is who ends them: the user themselves, or an admin.

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
                actor=actor,
                action=AuditAction.TOKEN_REVOKED,
                object_type="core.user",
                object_id=str(user.public_id),
                client=client,
                details={"reason": reason, "tokens": count},
            )
    return count


def user_password_set(*, actor: User, password: str, client: Client | None = None) -> None:
    """Set a new (already validated) password; every API token of the user ends with it."""
    with transaction.atomic():
        actor.set_password(password)
        actor.save(update_fields=["password"])
        audit.record(actor=actor, action=AuditAction.PASSWORD_CHANGED, client=client)
        api_tokens_revoke(actor=actor, user=actor, reason="password_changed", client=client)


def live_tokens(user: Any) -> list[ApiToken]:
    return list(ApiToken.objects.live().filter(user=user).order_by("-created_at"))


def second_factor_confirm(
    *, actor: User, device: Any, code: str, client: Client | None = None
) -> list[str] | None:
    """Confirm a pending authenticator with a code; returns the new backup codes, or None
    when the code does not match (nothing changed)."""
    with transaction.atomic():
        if not (code and device.verify_token(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = second_factor.new_backup_codes(actor)
        audit.record(actor=actor, action=AuditAction.OTP_ENROLLED, client=client)
    return codes


def backup_codes_renew(*, actor: User, client: Client | None = None) -> list[str]:
    with transaction.atomic():
        codes = second_factor.new_backup_codes(actor)
        audit.record(actor=actor, action=AuditAction.OTP_BACKUP_CODES_RENEWED, client=client)
    return codes


def second_factor_remove(*, actor: User, user: Any, client: Client | None = None) -> None:
    """Forget the user's authenticator and backup codes (their own choice, ``actor`` is
    ``user``, or an admin's reset); their API tokens end with it."""
    by_admin = actor != user
    with transaction.atomic():
        second_factor.remove_second_factor(user)
        audit.record(
            actor=actor,
            action=AuditAction.OTP_RESET if by_admin else AuditAction.OTP_REMOVED,
            object_type="core.user",
            object_id=str(user.public_id),
            client=client,
        )
        api_tokens_revoke(
            user=user,
            reason="second_factor_reset" if by_admin else "second_factor_removed",
            actor=actor,
            client=client,
        )
