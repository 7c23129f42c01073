"""One function every service calls to leave an audit event, and the sealer that chains them.

Call ``record`` inside the same transaction as the write it describes, so a rolled-back write
leaves no audit row and a committed one always has its row. ``seal_pending`` (Celery beat
task ``core.seal_audit`` every AUDIT_SEAL_INTERVAL_SECONDS, and ``manage.py seal_audit``)
links committed rows into the HMAC chain afterwards, off the request path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from cnt_detox.core.audit_actions import is_known
from cnt_detox.core.models import AuditEvent, AuditSeal


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


@dataclass(frozen=True)
class Client:
    """Where an action came from, as the audit row records it (services get this, not the
    request, so they stay callable from tasks, commands and tests without a fake request)."""

    ip: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest) -> Client:
        return cls(ip=client_ip(request))


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
    client: Client | None = None,
    changes: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event.

    ``obj`` names the object (its model label and public id); ``patient`` (a model with a
    ``public_id``) lets the audit viewer answer "who touched this patient". ``action`` is one
    of cnt_detox.core.audit_actions.AuditAction (or an admin change name).
    """
    event = unsaved_event(
        actor=actor,
        action=action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        patient=patient,
        patient_public_id=patient_public_id,
        client=client,
        changes=changes,
        details=details,
    )
    event.save(force_insert=True)
    return event


def unsaved_event(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    patient: Any = None,
    patient_public_id: uuid.UUID | str | None = None,
    client: Client | None = None,
    changes: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """The event ``record`` would append, complete with its row MAC, not yet inserted.

    For a caller that sends the INSERT together with its other writes in one statement
    (assessments.writes); it must insert the event in the same transaction as the write it
    describes, exactly as ``record`` does.
    """
    if not is_known(action):
        # Loud on purpose: a misspelt name would be sealed into the log for good and no
        # filter of the audit viewer would find it.
        raise ValueError(f"Unknown audit action {action!r}: add it to audit_actions.AuditAction.")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", obj.pk))
    if patient is not None:
        patient_public_id = patient.public_id
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        # A plain str, not the AuditAction member: the row and its MAC hold the bare name
        # whatever the driver or a raw INSERT (assessments.writes) does with an enum.
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        patient_public_id=patient_public_id,
        ip_address=client.ip if client is not None else None,
        changes=_jsonable(dict(changes or {})),
        details=_jsonable(dict(details or {})),
    )
    # No lock and no read: the request only appends its row with its own HMAC (row_mac), so
    # audited requests never wait for each other. The chain link is added later by the sealer
    # (seal_pending). The row joins the caller's transaction, so a rolled-back write leaves none.
    event.row_mac = row_mac(event)
    return event


# --- Hash chain ------------------------------------------------------------------------------
# Any 64-bit number, the same in every process: the advisory lock that orders the chain. Only
# sealers take it; requests never do.
AUDIT_CHAIN_LOCK_ID = 0x434E_5441_5544_4954  # "CNTAUDIT"


def _lock_chain() -> None:
    """Serialise sealers: "read the chain head, append the next links" must not interleave.

    Without it two sealers could read the same head and both link to it, forking the chain
    (verify_audit would then report a break that is not tampering). A transaction-level
    advisory lock is held until the sealer's transaction commits, so the next sealer reads the
    committed head (READ COMMITTED gives each statement a fresh snapshot). SQLite
    (development) has one writer at a time and no advisory locks.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK_ID])


def legacy_head() -> str:
    """The last inline link written before the sealer existed ("" on a new database)."""
    return (
        AuditEvent.objects.exclude(row_hash="")
        .order_by("-id")
        .values_list("row_hash", flat=True)
        .first()
        or ""
    )


def unsealed_events(*, full: bool = False) -> QuerySet[AuditEvent]:
    """Committed rows that carry a row MAC but no seal yet, in id order.

    The normal pass looks only at ids above the highest sealed event id minus
    AUDIT_SEAL_LOOKBACK_ROWS: an index range scan instead of an anti-join over the whole log.
    A row committed so late that more than that many later rows were sealed meanwhile is
    caught by the full pass (hourly beat entry, ``seal_audit --full``) and reported by
    verify_audit if it is older than AUDIT_UNSEALED_LIMIT_SECONDS.
    """
    pending = AuditEvent.objects.filter(row_hash="", seal__isnull=True, row_mac__gt="").order_by(
        "id"
    )
    if not full:
        top = AuditSeal.objects.aggregate(top=Max("event_id"))["top"]
        if top is not None:
            pending = pending.filter(id__gt=top - settings.AUDIT_SEAL_LOOKBACK_ROWS)
    return pending


def seal_batch(*, batch_size: int, full: bool = False) -> int:
    """Link up to ``batch_size`` unsealed rows into the chain; returns how many.

    Why the chain follows seal order and not strictly event id order: ids come from a sequence
    when a row is inserted, not when its transaction commits, so a row with a lower id can
    become visible after rows with higher ids were already sealed (a long transaction). A
    sealer that chained by id would have to stop at every id it cannot see yet (it cannot tell
    an uncommitted row from a rolled-back gap) or leave a hole. Instead each link gets its
    position from the AuditSeal id, allocated here under the sealers' lock, i.e. in commit
    order of the seals: rows are taken in id order among those committed, and a row that
    commits late is linked in the next batch. Nothing is skipped, nothing waits, and
    verify_audit needs no guess about grace windows; it walks the seals in position order.
    Idempotent: a row gets one seal (unique event_id) and is only picked while it has none.
    """
    with transaction.atomic():
        _lock_chain()
        head = AuditSeal.objects.order_by("-id").values_list("row_hash", flat=True).first()
        prev = legacy_head() if head is None else head
        seals: list[AuditSeal] = []
        for event in unsealed_events(full=full)[:batch_size]:
            link = chain_hash(event, prev)
            seals.append(AuditSeal(event=event, prev_hash=prev, row_hash=link))
            prev = link
        AuditSeal.objects.bulk_create(seals)
    return len(seals)


def seal_pending(
    *, batch_size: int | None = None, max_batches: int = 50, full: bool = False
) -> int:
    """Seal everything pending, one short transaction (and lock) per batch."""
    size = batch_size or settings.AUDIT_SEAL_BATCH_SIZE
    total = 0
    for _ in range(max_batches):
        sealed = seal_batch(batch_size=size, full=full)
        total += sealed
        if sealed < size:
            break
    return total


def seal_health(now: dt.datetime | None = None) -> tuple[bool, dict[str, Any]]:
    """For /healthz: unsealed rows older than AUDIT_UNSEALED_LIMIT_SECONDS mean the sealer
    (beat + worker) is not running. Uses the sealer's cheap window, not a full scan."""
    now = now or timezone.now()
    limit = dt.timedelta(seconds=settings.AUDIT_UNSEALED_LIMIT_SECONDS)
    pending = unsealed_events()
    oldest = pending.values_list("occurred_at", flat=True).first()
    stale = oldest is not None and now - oldest > limit
    return not stale, {
        "status": "error" if stale else "ok",
        "oldest_unsealed_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0,
        "limit_seconds": settings.AUDIT_UNSEALED_LIMIT_SECONDS,
    }


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


def _canonical(event: AuditEvent, prev: str) -> bytes:
    occurred = event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    content = {
        "prev": prev,
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


def _hmac(message: bytes) -> str:
    key = str(settings.AUDIT_HASH_KEY).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def chain_hash(event: AuditEvent, prev: str) -> str:
    """HMAC-SHA256 over the row and the previous link's hash, keyed by AUDIT_HASH_KEY.

    Keyed so that someone who can write the table but not read the app's secrets cannot
    rebuild a consistent chain after editing a row.
    """
    return _hmac(_canonical(event, prev))


def row_hash(event: AuditEvent) -> str:
    """The inline link of a row written before the sealer (its own prev_hash column)."""
    return chain_hash(event, event.prev_hash)


# Stands where a previous hash would be, so a row MAC can never equal a chain link.
_ROW_MAC_MARK = "row-mac"


def row_mac(event: AuditEvent) -> str:
    """HMAC over the row alone: written by the request, checked by the verifier, so a row
    changed or forged between its insert and its seal is still caught."""
    return _hmac(_canonical(event, _ROW_MAC_MARK))
