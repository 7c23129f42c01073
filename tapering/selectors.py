"""Reads of taper plans and doses, always through the user's units (other units: 404).

Also the read helpers other features call: ``board_plan_info`` (unit board),
``signed_at_by_admission`` (period report), ``due_doses``, ``pending_doses`` and
``dose_pending`` (reminder sweep and delivery).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from assessments.models import Assessment, AssessmentStatus
from clinical.risk.sedation import hold_sedating_doses
from clinical.taper.rounding import format_mg
from cnt_detox.core.models import User
from patients.selectors import admission_ids_for_user, admissions_for_user
from tapering.models import (
    DoseAdministration,
    PlanSignature,
    PlanStatus,
    RecordStatus,
    ScheduledDose,
    TaperPlan,
)


def late_after() -> dt.timedelta:
    """A dose not recorded this long after its due time is "late" (settings.DOSE_LATE_MINUTES).

    Ward routine, not a published threshold; the reminders use the same setting.
    """
    return dt.timedelta(minutes=settings.DOSE_LATE_MINUTES)


def missed_after() -> dt.timedelta:
    """After this long unrecorded a dose is "missed" (settings.DOSE_MISSED_MINUTES).

    Ward routine, not a published threshold.
    """
    return dt.timedelta(minutes=settings.DOSE_MISSED_MINUTES)


def plans_for_user(user: Any) -> QuerySet[TaperPlan]:
    return TaperPlan.objects.filter(admission__in=admission_ids_for_user(user)).select_related(
        "admission__patient", "admission__unit", "admission__bed", "signature", "supersedes"
    )


def plan_for_user(user: Any, public_id: uuid.UUID | str) -> TaperPlan:
    try:
        return plans_for_user(user).get(public_id=public_id)
    except (TaperPlan.DoesNotExist, ValueError, TypeError):
        raise Http404("No such taper plan.") from None


def plan_versions(admission: Any) -> list[TaperPlan]:
    return list(
        TaperPlan.objects.filter(admission=admission)
        .select_related("signature", "created_by")
        .order_by("-version")
    )


def current_plan(versions: list[TaperPlan]) -> TaperPlan | None:
    """The plan in force, else the draft, else the latest version."""
    for wanted in (PlanStatus.ACTIVE, PlanStatus.DRAFT):
        for plan in versions:
            if plan.status == wanted:
                return plan
    return versions[0] if versions else None


def open_admissions_with_plans(user: Any) -> list[tuple[Any, dict[str, Any]]]:
    """The user's open admissions, each with its plan summary (two queries)."""
    admissions = list(
        admissions_for_user(user).filter(discharged_at__isnull=True).order_by("unit__name", "bed")
    )
    info = board_plan_info([a.pk for a in admissions])
    return [(a, info[a.pk]) for a in admissions]


def intake_plan_data(admission: Any, start_date: dt.date) -> dict[str, Any]:
    """Builder inputs prefilled from the intake: agents, age on the start date, history."""
    agents = [
        {"agent": s.agent, "daily_dose_mg": format_mg(s.daily_dose_mg)}
        for s in admission.substances.all()
        if s.agent != "other" and s.daily_dose_mg > 0
    ]
    return {
        "agents": agents,
        "target_agent": "diazepam",
        "table": admission.equivalence_table or None,
        "strategy": "inpatient",
        "params": {},
        "start_date": start_date.isoformat(),
        "age": admission.patient.age_on(start_date),
        "hepatic_impairment": admission.hepatic_impairment,
        "epilepsy": admission.epilepsy,
        "withdrawal_seizures": admission.withdrawal_seizures,
    }


def unconverted_substances(admission: Any) -> list[Any]:
    """Intake agents the tables cannot convert ("other"): never guessed (equivalence.md)."""
    return [s for s in admission.substances.all() if s.agent == "other"]


def scheduled_dose_for_user(user: Any, public_id: uuid.UUID | str) -> ScheduledDose:
    try:
        return ScheduledDose.objects.select_related(
            "plan__admission__patient", "plan__admission__unit"
        ).get(public_id=public_id, plan__admission__in=admission_ids_for_user(user))
    except (ScheduledDose.DoesNotExist, ValueError, TypeError):
        raise Http404("No such dose.") from None


def administration_for_user(user: Any, public_id: uuid.UUID | str) -> DoseAdministration:
    try:
        return DoseAdministration.objects.select_related(
            "scheduled_dose__plan__admission__patient"
        ).get(
            public_id=public_id,
            scheduled_dose__plan__admission__in=admission_ids_for_user(user),
        )
    except (DoseAdministration.DoesNotExist, ValueError, TypeError):
        raise Http404("No such dose record.") from None


@dataclass
class DoseRow:
    dose: ScheduledDose
    record: DoseAdministration | None
    errors: list[DoseAdministration]
    state: str  # "recorded", "due", "late", "missed", "upcoming"
    due_local: dt.datetime


def dose_state(dose: ScheduledDose, recorded: bool, now: dt.datetime) -> str:
    if recorded:
        return "recorded"
    if now >= dose.due_at + missed_after():
        return "missed"
    if now >= dose.due_at + late_after():
        return "late"
    if now >= dose.due_at - late_after():
        return "due"
    return "upcoming"


def doses_for_day(admission: Any, day: dt.date, now: dt.datetime | None = None) -> list[DoseRow]:
    """Doses of the active plan on ``day`` (unit-local), with their records (two queries)."""
    now = now or timezone.now()
    doses = ScheduledDose.objects.filter(
        plan__admission=admission, plan__status=PlanStatus.ACTIVE, date=day
    ).prefetch_related(
        Prefetch(
            "administrations",
            queryset=DoseAdministration.objects.select_related("recorded_by").order_by("id"),
        )
    )
    rows = []
    for dose in doses.order_by("due_at"):
        records = list(dose.administrations.all())
        valid = next((r for r in records if r.status == RecordStatus.VALID), None)
        rows.append(
            DoseRow(
                dose,
                valid,
                [r for r in records if r.status != RecordStatus.VALID],
                dose_state(dose, valid is not None, now),
                dose.due_at.astimezone(admission.unit.tz),
            )
        )
    return rows


def next_dose(plan: TaperPlan, now: dt.datetime | None = None) -> ScheduledDose | None:
    """The plan's first dose due after ``now`` (a plan signed after the day's last dose time
    starts tomorrow: the nurse's empty day says when)."""
    return (
        ScheduledDose.objects.filter(plan=plan, due_at__gt=now or timezone.now())
        .order_by("due_at")
        .first()
    )


def overdue_doses(admission: Any, now: dt.datetime | None = None) -> list[ScheduledDose]:
    """Late and missed doses of the active plan before today (today's are on the day list)."""
    now = now or timezone.now()
    today = now.astimezone(admission.unit.tz).date()
    return list(
        ScheduledDose.objects.filter(
            plan__admission=admission,
            plan__status=PlanStatus.ACTIVE,
            date__lt=today,
            due_at__lte=now - late_after(),
        )
        .exclude(administrations__status=RecordStatus.VALID)
        .order_by("due_at")
    )


def sedation_advice(admission: Any) -> dict[str, Any]:
    """Latest valid sedation level and whether doses are advised held (clinical.risk.sedation)."""
    latest = (
        Assessment.objects.filter(admission=admission, status=AssessmentStatus.VALID)
        .order_by("-assessed_at", "-id")
        .only("sedation_level", "unable_reason", "assessed_at")
        .first()
    )
    if latest is None:
        return {"hold": False, "level": None, "assessed_at": None, "unable_reason": ""}
    hold = hold_sedating_doses(latest.sedation_level, latest.unable_reason or None)
    return {
        "hold": hold,
        "level": latest.sedation_level,
        "assessed_at": latest.assessed_at,
        "unable_reason": latest.unable_reason,
    }


def board_plan_info(
    admission_ids: list[int], on_date_by_admission: dict[int, dt.date] | None = None
) -> dict[int, dict[str, Any]]:
    """Per admission: plan status, the day's total mg, agent and plan id (two queries).

    ``on_date_by_admission`` gives each admission's unit-local date; default today in UTC.
    """
    info: dict[int, dict[str, Any]] = {
        a: {"status": "none", "today_mg": None, "agent": None, "plan_public_id": None}
        for a in admission_ids
    }
    if not admission_ids:
        return info
    plans = TaperPlan.objects.filter(admission_id__in=admission_ids).only(
        "id", "admission_id", "status", "target_agent", "public_id", "version"
    )
    by_admission: dict[int, list[TaperPlan]] = {}
    for plan in plans.order_by("-version"):
        by_admission.setdefault(plan.admission_id, []).append(plan)
    chosen = {a: current_plan(p) for a, p in by_admission.items()}
    active_ids = [p.pk for p in chosen.values() if p and p.status == PlanStatus.ACTIVE]
    today_utc = timezone.now().date()
    totals: dict[tuple[int, dt.date], Decimal] = {}
    if active_ids:
        for plan_id, day, mg in ScheduledDose.objects.filter(plan_id__in=active_ids).values_list(
            "plan_id", "date", "mg"
        ):
            totals[(plan_id, day)] = totals.get((plan_id, day), Decimal(0)) + mg
    for admission_id, plan in chosen.items():
        if plan is None:
            continue
        day = (on_date_by_admission or {}).get(admission_id, today_utc)
        active = plan.status == PlanStatus.ACTIVE
        info[admission_id] = {
            "status": plan.status,
            "today_mg": totals.get((plan.pk, day), Decimal(0)) if active else None,
            "agent": plan.target_agent,
            "plan_public_id": plan.public_id,
        }
    return info


def plan_status_by_admission(admission_ids: list[int]) -> dict[int, str]:
    """The current plan's status per admission (``current_plan``; one query), for exports."""
    by_admission: dict[int, list[TaperPlan]] = {}
    plans = TaperPlan.objects.filter(admission_id__in=admission_ids).only(
        "id", "admission_id", "status", "version"
    )
    for plan in plans.order_by("-version"):
        by_admission.setdefault(plan.admission_id, []).append(plan)
    out: dict[int, str] = {}
    for admission_id, versions in by_admission.items():
        chosen = current_plan(versions)
        if chosen is not None:
            out[admission_id] = chosen.status
    return out


def signed_at_by_admission(admission_ids: list[int]) -> dict[int, dt.datetime]:
    """First signature time per admission (one query), for the period report."""
    out: dict[int, dt.datetime] = {}
    rows = (
        PlanSignature.objects.filter(plan__admission_id__in=admission_ids)
        .order_by("signed_at")
        .values_list("plan__admission_id", "signed_at")
    )
    for admission_id, signed_at in rows:
        out.setdefault(admission_id, signed_at)
    return out


def due_doses(now: dt.datetime) -> list[tuple[int, int, dt.datetime]]:
    """(admission id, scheduled dose id, due at) of unrecorded doses of active plans that are
    due now (from ``late_after()`` before their time) or late, up to ``missed_after()`` (one query).
    """
    rows = (
        ScheduledDose.objects.filter(
            plan__status=PlanStatus.ACTIVE,
            plan__admission__discharged_at__isnull=True,
            due_at__lte=now + late_after(),
            due_at__gt=now - missed_after(),
        )
        .exclude(administrations__status=RecordStatus.VALID)
        .order_by("due_at")
        .values_list("plan__admission_id", "id", "due_at")
    )
    return list(rows)


def pending_doses() -> QuerySet[ScheduledDose]:
    """Scheduled doses of active plans with no valid record (a queryset to match against)."""
    return ScheduledDose.objects.filter(plan__status=PlanStatus.ACTIVE).exclude(
        administrations__status=RecordStatus.VALID
    )


def dose_pending(
    *,
    admission_id: int | None = None,
    due_at: dt.datetime | None = None,
    scheduled_dose_id: int | None = None,
) -> bool:
    """Whether an active plan still has this dose unrecorded: by scheduled-dose id, or by the
    admission and due time (every plan version's row for that dose counts)."""
    if scheduled_dose_id is not None:
        return pending_doses().filter(pk=scheduled_dose_id).exists()
    return pending_doses().filter(plan__admission_id=admission_id, due_at=due_at).exists()


def patient_page_context(user: Any, admission: Any, now: dt.datetime) -> dict[str, Any]:
    """The taper status for the patient page (registered in apps.py)."""
    local_today = admission.unit.local_now(now).date()
    info = board_plan_info([admission.pk], {admission.pk: local_today})
    return {"plan_info": info.get(admission.pk, {})}


def specialists_for(admission: Any) -> list[Any]:
    """Physicians of the admission's unit who may give a second signature."""
    return list(
        User.objects.filter(
            is_active=True, role="physician", is_addiction_specialist=True, units=admission.unit
        ).order_by("last_name", "first_name")
    )
