"""Reads of assessments, always through the user's units (patients.selectors).

Another unit's admission or assessment is a 404, never a 403, so its existence is not
confirmed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from assessments.models import (
    Assessment,
    AssessmentStatus,
    Escalation,
    EscalationStatus,
    ReassessmentSchedule,
)
from patients.models import Admission, AdmissionStatus
from patients.selectors import admissions_for_user, units_for_user


def admission_for_assessment(user: Any, public_id: uuid.UUID | str) -> Admission:
    """The admission with its unit's interval rules joined, so a save needs no extra read."""
    try:
        return (
            admissions_for_user(user)
            .select_related("unit__interval_rules")
            .get(public_id=public_id)
        )
    except (Admission.DoesNotExist, ValueError, TypeError):
        raise Http404("No such admission.") from None


def assessments_for_user(user: Any) -> QuerySet[Assessment]:
    return Assessment.objects.filter(admission__unit__in=units_for_user(user)).select_related(
        "admission__patient", "admission__unit", "admission__bed", "entered_by", "error_marked_by"
    )


def assessment_for_user(user: Any, public_id: uuid.UUID | str) -> Assessment:
    try:
        return assessments_for_user(user).get(public_id=public_id)
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such assessment.") from None


def assessments_for_admission(admission: Admission) -> QuerySet[Assessment]:
    """Every assessment of an admission, entered-in-error ones included (shown struck)."""
    return (
        Assessment.objects.filter(admission=admission)
        .select_related("entered_by", "error_marked_by")
        .order_by("assessed_at", "id")
    )


def latest_valid_assessment(admission: Admission) -> Assessment | None:
    return (
        Assessment.objects.filter(admission=admission, status=AssessmentStatus.VALID)
        .order_by("-assessed_at", "-id")
        .first()
    )


def schedule_for_admission(admission: Admission) -> ReassessmentSchedule | None:
    return ReassessmentSchedule.objects.filter(admission=admission).first()


def patient_page_context(user: Any, admission: Admission, now: Any) -> dict[str, Any]:
    """Latest CIWA-B and the next check for the patient page (registered in apps.py)."""
    schedule = schedule_for_admission(admission)
    active = schedule is not None and schedule.active
    return {
        "latest_assessment": latest_valid_assessment(admission),
        "schedule": schedule if active else None,
        "overdue": bool(active and schedule.next_due_at < now),
    }


def open_escalations(
    *, raised_by: dt.datetime | None = None, escalation_id: int | None = None
) -> list[Escalation]:
    """Unacknowledged escalations of open admissions, with their admission, for the reminders.

    ``raised_by`` keeps only those raised at or before that time (the sweep's ``now``);
    ``escalation_id`` picks one (notify a just-raised escalation at once). Not scoped to a user:
    the reminders feature decides who is told through the unit's roster.
    """
    rows = Escalation.objects.filter(
        admission__status=AdmissionStatus.OPEN,
        admission__discharged_at__isnull=True,
        status=EscalationStatus.OPEN,
    )
    if escalation_id is not None:
        rows = rows.filter(pk=escalation_id)
    if raised_by is not None:
        rows = rows.filter(created_at__lte=raised_by)
    return list(rows.select_related("admission"))
