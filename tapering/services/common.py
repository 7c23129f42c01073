"""Shared pieces of the tapering services: meanings, errors, role checks, dose times."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max

from clinical.taper.plan import (
    PlanResult,
    build_plan,
    canonical_json,
    to_dict,
)
from clinical.taper.schedule import ParameterError
from tapering.inputs import field_errors, request_from_data, request_to_data
from tapering.models import (
    PlanStatus,
    TaperPlan,
)

SIGNATURE_MEANING = "approved taper plan"


SECOND_SIGNATURE_MEANING = "specialist second signature: approved taper plan"


IN_FORCE = (PlanStatus.ACTIVE,)


# Signed but not yet in force: blocks a second draft like a plan in force does.
SIGNED_OPEN = (PlanStatus.AWAITING_SECOND_SIGNATURE,)


class PlanNotEditable(Exception):
    """The plan is signed (or closed): it is never edited; amend it instead."""


class StaleVersion(Exception):
    """The draft changed since the caller loaded it (optimistic concurrency)."""

    def __init__(self, current: int) -> None:
        self.current = current
        super().__init__(
            f"Another physician changed this draft (now version {current}); "
            "reload it and make your change again."
        )


def _require_physician(user: Any) -> None:
    if not getattr(user, "is_physician", False):
        raise PermissionDenied("Only physicians build, edit, sign or amend taper plans.")


def _require_clinician(user: Any) -> None:
    if not getattr(user, "is_clinician", False):
        raise PermissionDenied("Only nurses and physicians record doses.")


def compute(data: Any) -> PlanResult:
    """Parse inputs and build the plan; bad input is a ValidationError with API field names."""
    try:
        return build_plan(request_from_data(data))
    except ParameterError as err:
        raise ValidationError(field_errors(err)) from None


def digest_of(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _content(result: PlanResult) -> dict[str, Any]:
    canonical = canonical_json(result)
    return {
        "inputs": request_to_data(result.request),
        "result": to_dict(result),
        "canonical_json": canonical,
        "content_digest": digest_of(canonical),
        "target_agent": result.request.target_agent,
        "strategy": result.request.strategy,
        "table_id": result.table_id,
        "table_version": result.table_version,
        "rules_version": result.rules_version,
        "start_date": result.steps[0].start_date,
        "end_date": result.steps[-1].end_date,
        "starting_daily_mg": result.starting_daily_mg,
        "violations": list(result.violations),
    }


def _unit_today(admission: Any) -> dt.date:
    return admission.unit.local_now().date()


def _check_start(admission: Any, result: PlanResult) -> None:
    if result.request.start_date < _unit_today(admission):
        raise ValidationError(
            {"start_date": ["The plan cannot start before today (unit time); change the date."]}
        )


def dose_times(plan: TaperPlan) -> list[str]:
    """The plan's dose times of day (its first step's), in order: what a first dose can be."""
    steps = plan.result.get("steps") or []
    return [d["time"] for d in steps[0]["doses"]] if steps else []


def default_first_dose(plan: TaperPlan, now: dt.datetime | None = None) -> tuple[dt.date, str]:
    """Start date and first dose time proposed at signing: the next dose time from now.

    A plan signed late in the day must not start with the day's earlier doses already late
    (issue 20 item 5): from the plan's start date, the first dose time not yet passed on the
    unit's clock; none left today means tomorrow's first time.
    """
    local = plan.admission.unit.local_now(now)
    times = dose_times(plan) or ["08:00"]
    start = max(plan.start_date, local.date())
    if start > local.date():
        return start, times[0]
    for label in times:
        if dt.time.fromisoformat(label) >= local.time().replace(second=0, microsecond=0):
            return start, label
    return start + dt.timedelta(days=1), times[0]


def _next_version(admission: Any) -> int:
    top = TaperPlan.objects.filter(admission=admission).aggregate(v=Max("version"))["v"]
    return (top or 0) + 1
