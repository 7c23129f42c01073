"""Walk the audit hash chain and report the first row that was altered, removed or inserted."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cnt_detox.core.audit import row_hash
from cnt_detox.core.models import AuditEvent


def verify_chain() -> tuple[int, int, str, str | None]:
    """(rows checked, rows before the chain began, head hash, first problem or None)."""
    expected_prev = ""
    checked = legacy = 0
    chain_started = False
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        checked += 1
        when = f"{event.occurred_at:%Y-%m-%d %H:%M:%S%z}"
        where = f"row id={event.pk} public_id={event.public_id} at {when}"
        if not event.row_hash:
            if chain_started:
                return checked, legacy, expected_prev, f"{where}: hash removed"
            legacy += 1
            continue
        chain_started = True
        if event.prev_hash != expected_prev:
            return (
                checked,
                legacy,
                expected_prev,
                f"{where}: does not link to the row before it (a row was removed or inserted)",
            )
        if row_hash(event) != event.row_hash:
            return checked, legacy, expected_prev, f"{where}: content altered"
        expected_prev = event.row_hash
    return checked, legacy, expected_prev, None


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain; exits non-zero at the first altered row. "
        "Record the printed head hash elsewhere to detect removal of the newest rows."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checked, legacy, head, problem = verify_chain()
        if problem:
            raise CommandError(f"Audit chain broken at {problem}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {checked} rows checked"
                + (f" ({legacy} written before the chain began)" if legacy else "")
                + f"; head {head or '(empty)'}."
            )
        )
