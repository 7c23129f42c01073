"""One function every service calls to leave an audit event.

Call it inside the same transaction as the write it describes, so a rolled-back write leaves
no audit row and a committed one always has its row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest

from cnt_detox.core.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(getattr(value, "public_id", value.pk))
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields``, JSON-safe, for a before/after diff."""
    return {name: _jsonable(getattr(instance, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Changed fields only: ``{field: {"old": ..., "new": ...}}``."""
    changes: dict[str, dict[str, Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = _jsonable(before.get(name)), _jsonable(after.get(name))
        if old != new:
            changes[name] = {"old": old, "new": new}
    return changes


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    if getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            # The proxy appends the peer it saw; the right-most entry is the one it vouches for.
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    patient: Any = None,
    patient_public_id: uuid.UUID | str | None = None,
    request: HttpRequest | None = None,
    changes: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event.

    ``obj`` names the object (its model label and public id); ``patient`` (a model with a
    ``public_id``) lets the audit viewer answer "who touched this patient".
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", obj.pk))
    if patient is not None:
        patient_public_id = patient.public_id
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_public_id=patient_public_id,
        ip_address=client_ip(request),
        changes=_jsonable(dict(changes or {})),
        details=_jsonable(dict(details or {})),
    )
    # Joins the caller's transaction when there is one (the usual case: a service write);
    # no savepoint, because a failed audit insert must fail the whole write anyway, and a
    # savepoint costs two round trips on the hot path of every clinical save.
    with transaction.atomic(savepoint=False):
        _lock_chain()
        previous = AuditEvent.objects.order_by("-id").values_list("row_hash", flat=True).first()
        event.prev_hash = previous or ""
        event.row_hash = row_hash(event)
        event.save(force_insert=True)
    return event


# --- Hash chain ------------------------------------------------------------------------------
# Any 64-bit number, the same in every process: the advisory lock that orders the chain.
AUDIT_CHAIN_LOCK_ID = 0x434E_5441_5544_4954  # "CNTAUDIT"


def _lock_chain() -> None:
    """Serialise "read the last hash, insert the next row" across concurrent transactions.

    Without it two transactions could read the same previous hash and both link to it, forking
    the chain (verify_audit would then report a break that is not tampering). A
    transaction-level advisory lock is held until the surrounding transaction commits or
    rolls back, so the next writer reads the committed last row; READ COMMITTED gives each
    statement a fresh snapshot, so it sees that row. A row lock on the last row would not do:
    a rolled-back writer leaves no row to lock. The cost is that audited transactions commit
    one after the other, which is small next to the writes they audit. SQLite (development)
    has one writer at a time and no advisory locks.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK_ID])


def _stable(value: Any) -> Any:
    """JSON as the database gives it back: jsonb may return 1e20 as an int, so whole floats
    hash as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _stable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _canonical(event: AuditEvent) -> bytes:
    occurred = event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    content = {
        "prev": event.prev_hash,
        "public_id": str(event.public_id),
        "occurred_at": occurred,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient": str(event.patient_public_id or ""),
        "ip": str(event.ip_address or ""),
        "changes": _stable(event.changes),
        "details": _stable(event.details),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def row_hash(event: AuditEvent) -> str:
    """HMAC-SHA256 over the row and the previous row's hash, keyed by AUDIT_HASH_KEY.

    Keyed so that someone who can write the table but not read the app's secrets cannot
    rebuild a consistent chain after editing a row.
    """
    key = str(settings.AUDIT_HASH_KEY).encode()
    return hmac.new(key, _canonical(event), hashlib.sha256).hexdigest()
