"""A finished taper plan becomes ``completed`` (tapering.md 5: active -> completed).

"Finished" means: every scheduled dose of the plan is due, and none is still open, i.e. each
has a valid record (given, held or refused) or is past the "missed" window
(``DOSE_MISSED_MINUTES``, ward routine, not a published threshold: after it the dose pages
already list the dose as missed). A plan with no scheduled doses is finished once its end date
has passed in the unit's zone.

The transition is a conditional UPDATE (``status='active'`` -> ``completed``), so running it
twice, or from the dose save and the periodic task at the same moment, completes the plan once
and writes one audit event. Only the status columns change, never the signed content, so the
PostgreSQL guard trigger allows it and ``verify_signatures`` still matches.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from cnt_detox.core import audit
from cnt_detox.core.audit_actions import AuditAction
from tapering.models import DoseAdministration, PlanStatus, RecordStatus, ScheduledDose, TaperPlan
from tapering.selectors import missed_after

COMPLETED_REASON = "every scheduled dose recorded or past the missed window"


def _finished_plans(now: dt.datetime, plan_ids: list[int] | None = None) -> list[TaperPlan]:
    """Active plans whose doses are all due and none still open (two queries)."""
    recorded = DoseAdministration.objects.filter(
        scheduled_dose=OuterRef("pk"), status=RecordStatus.VALID
    )
    still_open = ScheduledDose.objects.filter(plan=OuterRef("pk")).filter(
        Q(due_at__gt=now) | (Q(due_at__gt=now - missed_after()) & ~Exists(recorded))
    )
    active = TaperPlan.objects.filter(status=PlanStatus.ACTIVE)
    if plan_ids is not None:
        active = active.filter(pk__in=plan_ids)
    candidates = (
        active.annotate(last_due=Max("doses__due_at"))
        .filter(~Exists(still_open))
        .select_related("admission__unit", "admission__patient")
        .only(
            "id",
            "public_id",
            "status",
            "end_date",
            "admission__unit__time_zone",
            "admission__patient__public_id",
        )
    )
    finished = []
    for plan in candidates:
        # No doses at all (nothing to give): finished after its last day, unit-local.
        if plan.last_due is None and plan.end_date >= now.astimezone(plan.admission.unit.tz).date():
            continue
        finished.append(plan)
    return finished


def _complete(plan: TaperPlan, now: dt.datetime) -> bool:
    # Conditional update: a concurrent completion (or a discontinuation) wins, we do nothing.
    changed = TaperPlan.objects.filter(pk=plan.pk, status=PlanStatus.ACTIVE).update(
        status=PlanStatus.COMPLETED,
        status_changed_at=now,
        status_reason=COMPLETED_REASON,
        updated_at=now,
    )
    if not changed:
        return False
    audit.record(
        actor=None,
        action=AuditAction.TAPER_PLAN_COMPLETED,
        obj=plan,
        patient=plan.admission.patient,
        changes={"status": {"old": PlanStatus.ACTIVE, "new": PlanStatus.COMPLETED}},
        details={"reason": COMPLETED_REASON},
    )
    return True


def plan_complete_if_finished(*, plan_id: int, now: dt.datetime | None = None) -> bool:
    """Complete one plan if it is finished; True if this call completed it."""
    now = now or timezone.now()
    with transaction.atomic():
        return any(_complete(plan, now) for plan in _finished_plans(now, [plan_id]))


def plans_complete_finished(*, now: dt.datetime | None = None) -> int:
    """Complete every finished active plan (the periodic task); returns how many."""
    now = now or timezone.now()
    completed = 0
    for plan in _finished_plans(now):
        # One transaction per plan: its status change and its audit row go together.
        with transaction.atomic():
            completed += _complete(plan, now)
    return completed
