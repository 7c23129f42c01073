"""The continuing taper of the discharge summary: the active plan's remaining scheduled doses,
per day and as dated steps, with their tablets.

Source: tapering.md section 3 (each dose with its tablets) and section 6 (doses due at unit
times of day), as stored in the signed plan. Part of ``aftercare.summary``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from aftercare.summary.records import _mg
from clinical.taper.plan import TARGET_PER_DIAZEPAM
from clinical.taper.rounding import formulation_for
from patients.models import Admission
from tapering.models import PlanStatus, RecordStatus, ScheduledDose, TaperPlan


def part_of_day(time: dt.time) -> str:
    """Plain words for a dose time (ward clock, not a clinical rule)."""
    if time.hour < 11:
        return "morning"
    if time.hour < 14:
        return "midday"
    if time.hour < 18:
        return "afternoon"
    return "evening"


def _units(plan: TaperPlan, dose: ScheduledDose) -> list[dict[str, str]]:
    """The dose's tablets as stored in the signed plan (strength, count; .5 = a half)."""
    try:
        step = plan.result["steps"][dose.step_index]
    except (IndexError, KeyError):
        return []
    wanted = dose.time.strftime("%H:%M")
    for d in step["doses"]:
        if d["time"] == wanted:
            return [{"strength_mg": u["strength_mg"], "count": u["count"]} for u in d["units"]]
    return []


def continuing_taper(admission: Admission, from_moment: dt.datetime) -> dict[str, Any] | None:
    """The active plan's doses still to take from ``from_moment``: per day and as dated steps."""
    plan = (
        TaperPlan.objects.filter(admission=admission, status=PlanStatus.ACTIVE)
        .select_related("signature")
        .first()
    )
    if plan is None:
        return None
    doses = list(
        ScheduledDose.objects.filter(plan=plan, due_at__gte=from_moment)
        .exclude(administrations__status=RecordStatus.VALID)
        .order_by("due_at")
    )
    formulation = formulation_for(plan.target_agent)
    days: list[dict[str, Any]] = []
    for dose in doses:
        if not days or days[-1]["date"] != dose.date.isoformat():
            days.append({"date": dose.date.isoformat(), "doses": [], "total_mg": "0"})
        day = days[-1]
        day["doses"].append(
            {
                "time": dose.time.strftime("%H:%M"),
                "part_of_day": part_of_day(dose.time),
                "mg": _mg(dose.mg),
                "tablets": dose.units_text,
                "units": _units(plan, dose),
            }
        )
        day["total_mg"] = _mg(Decimal(day["total_mg"]) + dose.mg)
    steps: list[dict[str, Any]] = []
    for day in days:
        pattern = [(d["time"], d["mg"]) for d in day["doses"]]
        last = steps[-1] if steps else None
        next_day = (
            (dt.date.fromisoformat(last["to"]) + dt.timedelta(days=1)).isoformat() if last else ""
        )
        if last and last["_pattern"] == pattern and next_day == day["date"]:
            last["to"] = day["date"]
            last["days"] += 1
            continue
        steps.append(
            {
                "from": day["date"],
                "to": day["date"],
                "days": 1,
                "daily_total_mg": day["total_mg"],
                "doses": day["doses"],
                "_pattern": pattern,
            }
        )
    for step in steps:
        del step["_pattern"]
    tablets: Counter[str] = Counter()
    for day in days:
        for d in day["doses"]:
            for u in d["units"]:
                tablets[u["strength_mg"]] += Decimal(u["count"])
    sig = getattr(plan, "signature", None)
    return {
        "plan_version": plan.version,
        "plan_digest": sig.digest if sig else "",
        "agent": plan.target_agent,
        "form": formulation.form,
        "diazepam_per_agent_mg": _mg(TARGET_PER_DIAZEPAM[plan.target_agent]),
        "days": days,
        "steps": steps,
        "last_dose_date": days[-1]["date"] if days else None,
        "tablets_to_take": {
            k: _mg(v) for k, v in sorted(tablets.items(), key=lambda t: -Decimal(t[0]))
        },
    }
