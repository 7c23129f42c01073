"""Walk the audit hash chain and report the first row that was altered, removed or inserted.

Two parts, in the order they were written: rows from before the sealer carry their link
inline (prev_hash/row_hash in the event row, id order); newer rows are linked by AuditSeal
rows, walked in seal (chain) order. Every newer row also carries its own row MAC, checked
sealed or not. Rows still unsealed after AUDIT_UNSEALED_LIMIT_SECONDS are a failure: the
sealer has stopped, and an unsealed row is the one an attacker could still remove unseen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cnt_detox.core.audit import chain_hash, row_hash, row_mac
from cnt_detox.core.models import AuditEvent, AuditSeal

CHUNK = 2000


@dataclasses.dataclass
class AuditCheck:
    checked: int = 0  # rows whose link (inline or seal) was verified
    legacy: int = 0  # rows written before the chain began (no hash at all)
    unsealed: int = 0  # rows with a valid row MAC waiting for the sealer
    stale_unsealed: int = 0  # of those, older than the limit
    head: str = ""
    problem: str | None = None


def _where(event: AuditEvent) -> str:
    when = f"{event.occurred_at:%Y-%m-%d %H:%M:%S%z}"
    return f"row id={event.pk} public_id={event.public_id} at {when}"


def _check_unsealed_part(result: AuditCheck, now: dt.datetime) -> None:
    """Inline (pre-sealer) chain in id order, and the rows that have no seal yet."""
    limit = dt.timedelta(seconds=settings.AUDIT_UNSEALED_LIMIT_SECONDS)
    chain_started = False
    first_stale: AuditEvent | None = None
    for event in AuditEvent.objects.filter(seal__isnull=True).order_by("id").iterator(CHUNK):
        if event.row_hash:
            chain_started = True
            if event.prev_hash != result.head:
                result.problem = (
                    f"{_where(event)}: does not link to the row before it "
                    "(a row was removed or inserted)"
                )
                return
            if row_hash(event) != event.row_hash:
                result.problem = f"{_where(event)}: content altered"
                return
            result.head = event.row_hash
            result.checked += 1
        elif event.row_mac:
            if row_mac(event) != event.row_mac:
                result.problem = f"{_where(event)}: content altered or row forged (not sealed yet)"
                return
            result.unsealed += 1
            if now - event.occurred_at > limit:
                result.stale_unsealed += 1
                first_stale = first_stale or event
        elif chain_started:
            result.problem = f"{_where(event)}: hash removed"
            return
        else:
            result.legacy += 1
    if first_stale is not None:
        result.problem = (
            f"{_where(first_stale)}: not sealed after {limit.total_seconds():.0f} s "
            f"({result.stale_unsealed} rows); is the sealer (beat + worker) running?"
        )


def _check_sealed_part(result: AuditCheck) -> None:
    """Seals in chain order: each links to the one before and matches its row's content."""
    expected_prev = result.head
    batch: list[AuditSeal] = []

    def flush() -> bool:
        nonlocal expected_prev
        events = AuditEvent.objects.in_bulk([s.event_id for s in batch])
        for seal in batch:
            event = events.get(seal.event_id)
            if event is None:
                result.problem = f"seal {seal.pk} of row id={seal.event_id}: the row was removed"
                return False
            if seal.prev_hash != expected_prev:
                result.problem = (
                    f"{_where(event)}: does not link to the row before it "
                    "(a row was removed or inserted)"
                )
                return False
            if event.row_hash or row_mac(event) != event.row_mac:
                result.problem = f"{_where(event)}: content altered"
                return False
            if chain_hash(event, seal.prev_hash) != seal.row_hash:
                result.problem = f"{_where(event)}: content altered"
                return False
            expected_prev = seal.row_hash
            result.checked += 1
        return True

    for seal in AuditSeal.objects.order_by("id").iterator(CHUNK):
        batch.append(seal)
        if len(batch) == CHUNK:
            if not flush():
                return
            batch = []
    if batch and not flush():
        return
    result.head = expected_prev


def verify_log(now: dt.datetime | None = None) -> AuditCheck:
    result = AuditCheck()
    _check_unsealed_part(result, now or timezone.now())
    if result.problem is None:
        _check_sealed_part(result)
    return result


def verify_chain() -> tuple[int, int, str, str | None]:
    """(rows checked, rows before the chain began, head hash, first problem or None)."""
    result = verify_log()
    return result.checked, result.legacy, result.head, result.problem


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain; exits non-zero at the first altered row or when "
        "rows stay unsealed past AUDIT_UNSEALED_LIMIT_SECONDS. Record the printed head hash "
        "elsewhere to detect removal of the newest rows."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_log()
        if result.problem:
            raise CommandError(f"Audit chain broken at {result.problem}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {result.checked} rows checked"
                + (f" ({result.legacy} written before the chain began)" if result.legacy else "")
                + (f"; {result.unsealed} rows awaiting the sealer" if result.unsealed else "")
                + f"; head {result.head or '(empty)'}."
            )
        )
