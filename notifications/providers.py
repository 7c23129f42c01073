"""Doses due and late, from the tapering feature.

``tapering.selectors.due_doses(now)`` gives ``(admission id, scheduled dose id, due at)`` for
unrecorded doses of active plans; the sweep turns them into reminders keyed by the DOSE, that
is the admission and the time it is due, not by the scheduled-dose row: an amended plan makes
new rows for the same 21:00 dose, and the nurse must get one reminder for it, not one per plan
version (issue 20 item 7). At delivery time ``dose_is_pending`` skips a dose that was recorded
meanwhile, and the sweep closes the reminders of recorded doses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from tapering import selectors as tapering_selectors
from tapering.models import ScheduledDose

_STAMP = "%Y%m%dT%H%MZ"


@dataclass(frozen=True)
class DueDose:
    admission_id: int
    key: str
    due_at: dt.datetime
    label: str = ""


def dose_subject(admission_id: int, due_at: dt.datetime) -> str:
    """The reminder key of one dose: the admission and the UTC minute it is due."""
    return f"{admission_id}@{due_at.astimezone(dt.UTC).strftime(_STAMP)}"


def due_doses(now: dt.datetime) -> list[DueDose]:
    seen: set[str] = set()
    out = []
    for admission_id, _dose_id, due_at in tapering_selectors.due_doses(now):
        key = dose_subject(admission_id, due_at)
        if key not in seen:
            seen.add(key)
            out.append(DueDose(admission_id, key, due_at))
    return out


def pending_doses() -> QuerySet[ScheduledDose]:
    """Scheduled doses of active plans with no valid record (``tapering.selectors``)."""
    return tapering_selectors.pending_doses()


def dose_is_pending(key: str) -> bool:
    """Still worth a reminder: an active plan has this dose and nothing valid is recorded.

    Keys made before doses were keyed by admission and time were scheduled-dose ids.
    """
    if key.isdigit():
        return tapering_selectors.dose_pending(scheduled_dose_id=int(key))
    admission, _, stamp = key.partition("@")
    try:
        due_at = dt.datetime.strptime(stamp, _STAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        return False
    if not admission.isdigit():
        return False
    return tapering_selectors.dose_pending(admission_id=int(admission), due_at=due_at)
