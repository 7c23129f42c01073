"""Reads of the discharge and aftercare feature, always through the user's units (404 else).

``readiness_for`` gathers the facts of clinical.discharge from the stay's records in a fixed
number of queries (the patient page shows it on every open admission).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils import timezone

from aftercare.models import (
    AftercarePlan,
    DischargeSummary,
    FollowUpAppointment,
    FollowUpStatus,
    PatientLink,
    SummaryStatus,
    SupportGroup,
)
from assessments.models import Escalation, EscalationStatus, ReassessmentSchedule
from clinical import discharge as rules
from clinical.taper.plan import TARGET_PER_DIAZEPAM
from patients.models import Admission
from patients.selectors import admission_ids_for_user, admissions_for_user
from tapering.models import PlanStatus, RecordStatus, ScheduledDose, TaperPlan


def active_plan(admission: Admission) -> TaperPlan | None:
    return (
        TaperPlan.objects.filter(admission=admission, status=PlanStatus.ACTIVE)
        .only("id", "public_id", "version", "target_agent", "admission_id", "status", "result")
        .first()
    )


def discharge_day_daily_mg(plan: TaperPlan, day: dt.date) -> Decimal | None:
    """The plan's prescribed mg/day (its own agent) on ``day``; past its end, its last step's.

    Read from the signed plan's steps, not by adding up the day's ScheduledDose rows: on a
    partial day those rows are fewer than the prescription (the start date of a plan signed
    late in the day has no doses before its first dose time, a plan put in force by a later
    second signature none before that moment), and a sum of them would call a patient on
    80 mg/day "below the discharge dose" on day 1. Before the plan's start date (signed in the
    evening, first dose tomorrow) it is the first step's dose: the dose the patient is about
    to need, not "no dose". None only for a plan without steps.
    """
    steps = plan.result.get("steps") or []
    if not steps:
        return None
    if day < dt.date.fromisoformat(steps[0]["start_date"]):
        return Decimal(steps[0]["daily_total_mg"])
    for step in steps:
        if (
            dt.date.fromisoformat(step["start_date"])
            <= day
            <= dt.date.fromisoformat(step["end_date"])
        ):
            return Decimal(step["daily_total_mg"])
    return Decimal(steps[-1]["daily_total_mg"])


def readiness_facts(admission: Admission, now: dt.datetime | None = None) -> rules.Facts:
    now = now or timezone.now()
    today = admission.unit.local_now(now).date()
    plan = active_plan(admission)
    diazepam_mg = None
    if plan is not None:
        mg = discharge_day_daily_mg(plan, today)
        if mg is not None:
            diazepam_mg = mg / TARGET_PER_DIAZEPAM[plan.target_agent]
    schedule = (
        ReassessmentSchedule.objects.filter(admission=admission, active=True)
        .values_list("next_due_at", flat=True)
        .first()
    )
    unrecorded = 0
    if plan is not None:
        unrecorded = (
            ScheduledDose.objects.filter(plan=plan, date=today, due_at__lte=now)
            .exclude(administrations__status=RecordStatus.VALID)
            .count()
        )
    awaiting = (
        TaperPlan.objects.filter(admission=admission, status=PlanStatus.AWAITING_SECOND_SIGNATURE)
        .values_list("version", flat=True)
        .first()
    )
    return rules.Facts(
        awaiting_second_version=awaiting,
        discharge_daily_diazepam_mg=diazepam_mg,
        plan_version=plan.version if plan else None,
        open_escalations=Escalation.objects.filter(
            admission=admission, status=EscalationStatus.OPEN
        ).count(),
        ciwa_due_at=schedule,
        now=now,
        unrecorded_doses_today=unrecorded,
    )


def readiness_for(admission: Admission, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Open items as dicts (code, level, message, source), blockers first."""
    return [
        {"code": i.code, "level": i.level, "message": i.message, "source": i.source}
        for i in rules.readiness(readiness_facts(admission, now))
    ]


def aftercare_versions(admission: Admission) -> list[AftercarePlan]:
    return list(
        AftercarePlan.objects.filter(admission=admission)
        .select_related("created_by")
        .order_by("-version")
    )


def current_aftercare(admission: Admission) -> AftercarePlan | None:
    return (
        AftercarePlan.objects.filter(admission=admission, superseded_at__isnull=True)
        .select_related("created_by")
        .first()
    )


def support_groups() -> list[SupportGroup]:
    return list(SupportGroup.objects.filter(active=True).order_by("name"))


def follow_ups(admission: Admission) -> list[FollowUpAppointment]:
    return list(
        FollowUpAppointment.objects.filter(admission=admission)
        .select_related("outcome_recorded_by")
        .order_by("scheduled_at", "id")
    )


def follow_up_for_user(user: Any, public_id: uuid.UUID | str) -> FollowUpAppointment:
    try:
        return FollowUpAppointment.objects.select_related(
            "admission__patient", "admission__unit"
        ).get(public_id=public_id, admission__in=admission_ids_for_user(user))
    except (FollowUpAppointment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such follow-up appointment.") from None


def follow_ups_for_user(user: Any, *, status: str | None = None) -> Any:
    """The clinic's list: follow-ups of the stays the user may open (their units' and live
    emergency grants: patients.selectors, the one access rule), soonest first."""
    qs = FollowUpAppointment.objects.filter(admission__in=admission_ids_for_user(user))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("admission__patient", "admission__unit").order_by("scheduled_at")


def summary_versions(admission: Admission) -> list[DischargeSummary]:
    return list(DischargeSummary.objects.filter(admission=admission).order_by("-version"))


def current_summary(admission: Admission) -> DischargeSummary | None:
    return DischargeSummary.objects.filter(admission=admission, status=SummaryStatus.SIGNED).first()


def summary_for_user(user: Any, public_id: uuid.UUID | str) -> DischargeSummary:
    try:
        return DischargeSummary.objects.select_related("admission__patient", "admission__unit").get(
            public_id=public_id, admission__in=admissions_for_user(user)
        )
    except (DischargeSummary.DoesNotExist, ValueError, TypeError):
        raise Http404("No such discharge summary.") from None


def link_by_token_hash(token_hash: str, now: dt.datetime | None = None) -> PatientLink | None:
    """The link if it is live (not expired, not revoked); None otherwise, whatever the reason,
    so the public page says the same thing for a wrong, expired or revoked link."""
    now = now or timezone.now()
    return (
        PatientLink.objects.filter(
            token_hash=token_hash, expires_at__gt=now, revoked_at__isnull=True
        )
        .select_related("admission__patient", "admission__unit")
        .first()
    )


def links_for(admission: Admission) -> list[PatientLink]:
    return list(PatientLink.objects.filter(admission=admission).order_by("-created_at"))


def follow_up_counts(unit_ids: list[int], start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Follow-ups due in [start, end) of admissions of these units, by outcome (one query)."""
    counts = dict.fromkeys(FollowUpStatus.values, 0)
    rows = FollowUpAppointment.objects.filter(
        admission__unit_id__in=unit_ids, scheduled_at__gte=start, scheduled_at__lt=end
    ).values_list("status", flat=True)
    for value in rows:
        counts[value] += 1
    return counts
