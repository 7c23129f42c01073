"""Doses due and late, from the tapering feature.

``tapering.selectors.due_doses(now)`` gives ``(admission id, scheduled dose id, due at)`` for
unrecorded doses of active plans; the sweep turns them into reminders keyed by the scheduled
dose. At delivery time ``dose_is_pending`` skips a dose that was recorded meanwhile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tapering import selectors as tapering_selectors
from tapering.models import PlanStatus, RecordStatus, ScheduledDose


@dataclass(frozen=True)
class DueDose:
    admission_id: int
    key: str
    due_at: dt.datetime
    label: str = ""


def due_doses(now: dt.datetime) -> list[DueDose]:
    return [
        DueDose(admission_id, str(dose_id), due_at)
        for admission_id, dose_id, due_at in tapering_selectors.due_doses(now)
    ]


def dose_is_pending(key: str) -> bool:
    """Still worth a reminder: the dose exists, its plan is active and nothing valid is recorded."""
    if not key.isdigit():
        return False
    return (
        ScheduledDose.objects.filter(pk=int(key), plan__status=PlanStatus.ACTIVE)
        .exclude(administrations__status=RecordStatus.VALID)
        .exists()
    )
