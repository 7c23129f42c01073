"""The reassessment schedule row of an admission: first check and updates."""

from __future__ import annotations

from typing import Any

from assessments.models import (
    Assessment,
    ReassessmentSchedule,
)
from clinical import reassessment as schedule
from patients.models import Admission

_SCHEDULE_FIELDS = ["next_due_at", "interval_minutes", "reason", "notify_physician"]


_SCHEDULE_FIELDS += ["based_on", "active", "updated_at"]


def _schedule_row(
    admission: Admission, due: schedule.NextDue, based_on: Assessment | None
) -> ReassessmentSchedule:
    return ReassessmentSchedule(
        admission=admission,
        next_due_at=due.due_at,
        interval_minutes=due.interval_minutes,
        reason=due.reason[:200],
        notify_physician=due.notify_physician,
        based_on=based_on,
        active=admission.is_open,
    )


def _upsert_schedule(
    admission: Admission, due: schedule.NextDue, based_on: Assessment | None
) -> None:
    # One INSERT .. ON CONFLICT DO UPDATE: no read-then-write race between two saves.
    ReassessmentSchedule.objects.bulk_create(
        [_schedule_row(admission, due, based_on)],
        update_conflicts=True,
        unique_fields=["admission"],
        update_fields=_SCHEDULE_FIELDS,
    )


def schedule_first_assessment(*, admission: Admission, actor: Any = None) -> None:
    """Make a new admission due for its first CIWA-B at the admission time (issue 20 item 4).

    Called through the core "admission created" hook, inside the admission's transaction.
    ON CONFLICT DO NOTHING: an admission that already has a schedule (an assessment was saved
    first) keeps it; this never moves a schedule.
    """
    due = schedule.admission_due(admitted_at=admission.admitted_at)
    ReassessmentSchedule.objects.bulk_create(
        [
            ReassessmentSchedule(
                admission=admission,
                next_due_at=due.due_at,
                interval_minutes=due.interval_minutes,
                reason=due.reason[:200],
                notify_physician=due.notify_physician,
                based_on=None,
                active=admission.is_open,
            )
        ],
        ignore_conflicts=True,
    )
