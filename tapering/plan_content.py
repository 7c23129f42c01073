"""Signed plan content turned into dose rows, and the remaining steps of a plan for an amendment.

Source: /work/shared/domain/tapering.md sections 3 (tablets per dose), 5 (amendments) and 6
(doses due at unit times of day).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from clinical.taper.plan import TARGET_PER_DIAZEPAM
from clinical.taper.rounding import Unit, describe_units, format_mg, formulation_for
from clinical.taper.schedule import CUSTOM, INPATIENT
from tapering.models import ScheduledDose, TaperPlan


def _due_at(day: dt.date, time: dt.time, tz: Any) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=tz).astimezone(dt.UTC)


def schedule_doses(
    plan: TaperPlan,
    skip: set[tuple[dt.date, dt.time]],
    not_before: dt.datetime | None = None,
) -> int:
    """ScheduledDose rows for every dose of the signed plan (tapering.md 6).

    On the start date, times before the plan's first dose time (chosen at signing for a plan
    signed late in the day) are not scheduled, so they never show as late or missed. Nor are
    doses due before ``not_before`` (a plan put in force by a later second signature).
    """
    tz = plan.admission.unit.tz
    first = plan.inputs.get("first_dose_time")
    first_time = dt.time.fromisoformat(first) if first else None
    formulation = formulation_for(plan.target_agent)
    rows = []
    for index, step in enumerate(plan.result["steps"]):
        start = dt.date.fromisoformat(step["start_date"])
        end = dt.date.fromisoformat(step["end_date"])
        for offset in range((end - start).days + 1):
            day = start + dt.timedelta(days=offset)
            for dose in step["doses"]:
                time = dt.time.fromisoformat(dose["time"])
                if (day, time) in skip:
                    continue
                if first_time is not None and day == plan.start_date and time < first_time:
                    continue
                if not_before is not None and _due_at(day, time, tz) < not_before:
                    continue
                rows.append(
                    ScheduledDose(
                        plan=plan,
                        date=day,
                        time=time,
                        due_at=_due_at(day, time, tz),
                        mg=Decimal(dose["mg"]),
                        units_text=units_text(dose["units"], formulation),
                        step_index=index,
                    )
                )
    ScheduledDose.objects.bulk_create(rows)
    return len(rows)


def units_text(units: list[dict[str, str]], formulation: Any) -> str:
    return describe_units(
        [Unit(Decimal(u["strength_mg"]), Decimal(u["count"])) for u in units], formulation
    )


def remaining_as_custom(plan: TaperPlan, today: dt.date) -> dict[str, Any]:
    """Inputs for an amendment: the rest of ``plan`` from ``today`` as hand-set steps.

    The physician starts from what the patient is on now, not from the original starting dose.
    """
    inputs = dict(plan.inputs)
    if plan.start_date >= today:
        return inputs
    steps = []
    for step in plan.result["steps"]:
        start = dt.date.fromisoformat(step["start_date"])
        end = dt.date.fromisoformat(step["end_date"])
        if end < today:
            continue
        days = (end - max(start, today)).days + 1
        steps.append({"days": days, "daily_total_mg": step["daily_total_mg"], "note": ""})
    if not steps:
        return {**inputs, "start_date": today.isoformat()}
    times = sorted({d["time"] for s in plan.result["steps"] for d in s["doses"]})
    last = Decimal(steps[-1]["daily_total_mg"])
    ratio = TARGET_PER_DIAZEPAM[plan.target_agent]
    params = {
        "time_slots": times,
        "hand_off_mg": format_mg(last / ratio) if last else None,
        "apply_rate_rule": plan.strategy not in (INPATIENT,),
    }
    return {
        **inputs,
        "strategy": CUSTOM,
        "start_date": today.isoformat(),
        "params": params,
        "custom_steps": steps,
    }
