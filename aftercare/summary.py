"""The discharge summary's content, built from the stay's records, and its plain-words copy.

Every number here is read from a stored record (admission, movements, substances, CIWA-B
assessments, flags, escalations, taper plan versions, scheduled doses and their records,
aftercare plan, follow-ups); nothing is recomputed from a rule, so the summary says what the
chart says. The continuing taper is the active plan's remaining scheduled doses (tapering.md
section 3: each dose with its tablets; section 6: doses due at unit times of day).

``CONTENT_VERSION`` names this shape; it is stored with every signed summary.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from typing import Any

from django.utils import timezone

from aftercare import selectors
from aftercare.models import FollowUpStatus
from assessments.models import Assessment, AssessmentFlag, AssessmentStatus, Escalation
from clinical.ciwa_b import BAND_LABELS, Band
from clinical.taper.plan import TARGET_PER_DIAZEPAM
from clinical.taper.rounding import format_mg, formulation_for
from patients.models import Admission
from tapering.models import (
    DoseAdministration,
    PlanStatus,
    RecordStatus,
    ScheduledDose,
    TaperPlan,
)

CONTENT_VERSION = "summary-1"


def _local(value: dt.datetime | None, tz: Any) -> str | None:
    return value.astimezone(tz).isoformat(timespec="minutes") if value else None


def _mg(value: Decimal | None) -> str | None:
    return None if value is None else format_mg(value)


def _point(a: Assessment, tz: Any) -> dict[str, Any]:
    return {
        "assessed_at": _local(a.assessed_at, tz),
        "total": a.total,
        "band": BAND_LABELS[Band(a.band)] if a.band else "",
    }


def _ciwa(admission: Admission, tz: Any) -> dict[str, Any]:
    rows = list(
        Assessment.objects.filter(admission=admission, status=AssessmentStatus.VALID)
        .order_by("assessed_at", "id")
        .only("assessed_at", "total", "band", "unable_reason")
    )
    scored = [a for a in rows if a.total is not None]
    peak = max(scored, key=lambda a: (a.total, -a.assessed_at.timestamp()), default=None)
    return {
        "count": len(rows),
        "unable_to_assess": len(rows) - len(scored),
        "first": _point(scored[0], tz) if scored else None,
        "peak": _point(peak, tz) if peak else None,
        "last": _point(scored[-1], tz) if scored else None,
        "chart": [[_local(a.assessed_at, tz), a.total] for a in scored],
    }


def _flags(admission: Admission, tz: Any) -> list[dict[str, Any]]:
    """Each flag code raised during the stay (intake or assessment), its highest level, first
    time and how often."""
    order = {"critical": 0, "high": 1, "elevated": 2}
    seen: dict[str, dict[str, Any]] = {}
    for flag in admission.intake_flags or []:
        seen[flag["code"]] = {
            "code": flag["code"],
            "level": flag["level"],
            "reason": flag["reason"],
            "first_raised": _local(admission.admitted_at, tz),
            "times": 1,
            "at_intake": True,
        }
    rows = AssessmentFlag.objects.filter(admission=admission, assessment__isnull=False)
    for flag in rows.order_by("raised_at", "id"):
        entry = seen.get(flag.code)
        if entry is None:
            seen[flag.code] = {
                "code": flag.code,
                "level": flag.level,
                "reason": flag.reason,
                "first_raised": _local(flag.raised_at, tz),
                "times": 1,
                "at_intake": False,
            }
            continue
        entry["times"] += 1
        if order.get(flag.level, 9) < order.get(entry["level"], 9):
            entry["level"] = flag.level
    return sorted(seen.values(), key=lambda f: (order.get(f["level"], 9), f["code"]))


def _plans(admission: Admission, tz: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    plans = list(
        TaperPlan.objects.filter(admission=admission)
        .exclude(status=PlanStatus.DRAFT)
        .select_related("signature")
        .order_by("version")
    )
    records = (
        DoseAdministration.objects.filter(
            scheduled_dose__plan__admission=admission, status=RecordStatus.VALID
        )
        .select_related("scheduled_dose")
        .order_by("occurred_at")
    )
    by_plan: dict[int, list[DoseAdministration]] = {}
    for r in records:
        by_plan.setdefault(r.scheduled_dose.plan_id, []).append(r)
    out = []
    totals: Counter[str] = Counter()
    held_reasons: Counter[str] = Counter()
    given_mg: dict[str, Decimal] = {}
    for plan in plans:
        recs = by_plan.get(plan.pk, [])
        counts = Counter(r.outcome for r in recs)
        plan_given = sum((r.scheduled_dose.mg for r in recs if r.outcome == "given"), Decimal(0))
        totals.update(counts)
        held_reasons.update(r.held_reason for r in recs if r.outcome == "held")
        given_mg[plan.target_agent] = given_mg.get(plan.target_agent, Decimal(0)) + plan_given
        sig = getattr(plan, "signature", None)
        out.append(
            {
                "version": plan.version,
                "status": plan.status,
                "agent": plan.target_agent,
                "strategy": plan.strategy,
                "start_date": plan.start_date.isoformat(),
                "end_date": plan.end_date.isoformat(),
                "starting_daily_mg": _mg(plan.starting_daily_mg),
                "amendment_reason": plan.amendment_reason,
                "status_reason": plan.status_reason,
                "signed_by": sig.printed_name if sig else "",
                "signed_at": _local(sig.signed_at, tz) if sig else None,
                "digest": sig.digest if sig else "",
                "doses_given": counts.get("given", 0),
                "doses_held": counts.get("held", 0),
                "doses_refused": counts.get("refused", 0),
                "mg_given": _mg(plan_given),
            }
        )
    doses = {
        "given": totals.get("given", 0),
        "held": totals.get("held", 0),
        "refused": totals.get("refused", 0),
        "held_reasons": dict(sorted(held_reasons.items())),
        "mg_given": {agent: _mg(mg) for agent, mg in sorted(given_mg.items())},
    }
    return out, doses


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


def _aftercare(admission: Admission, tz: Any) -> dict[str, Any] | None:
    plan = selectors.current_aftercare(admission)
    if plan is None:
        return None
    return {
        "version": plan.version,
        "created_by": plan.created_by.display_name,
        "created_at": _local(plan.created_at, tz),
        "level_of_care": plan.level_of_care,
        "level_of_care_label": plan.get_level_of_care_display(),
        "level_reason": plan.level_reason,
        "referrals": plan.referrals,
        "support_groups": plan.support_groups,
        "other_support": plan.other_support,
        "triggers": plan.triggers,
        "warning_signs": plan.warning_signs,
        "coping_strategies": plan.coping_strategies,
        "people_to_call": plan.people_to_call,
        "family_involvement": plan.family_involvement,
        "consent_to_share": plan.consent_to_share,
        "consent_details": plan.consent_details,
    }


def _follow_ups(admission: Admission, tz: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": str(f.public_id),
            "scheduled_at": _local(f.scheduled_at, tz),
            "with_whom": f.with_whom,
            "mode": f.mode,
            "mode_label": f.get_mode_display(),
            "location": f.location,
            "status": f.status,
        }
        for f in selectors.follow_ups(admission)
        if f.status != FollowUpStatus.CANCELLED
    ]


def build_content(
    admission: Admission,
    *,
    other_medicines: str = "",
    notes: str = "",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Everything the summary shows, as JSON-ready data (strings for mg, ISO local times)."""
    now = now or timezone.now()
    unit = admission.unit
    tz = unit.tz
    patient = admission.patient
    end = admission.discharged_at or now
    movements = list(
        admission.movements.select_related("from_unit", "from_bed", "to_unit", "to_bed").order_by(
            "moved_at", "id"
        )
    )
    transfers = [
        {
            "moved_at": _local(m.moved_at, tz),
            "from": f"{m.from_unit.name}, bed {m.from_bed.label}" if m.from_unit else "",
            "to": f"{m.to_unit.name}, bed {m.to_bed.label}",
            "reason": m.reason,
        }
        for m in movements
        if m.from_unit_id is not None
    ]
    first_unit = movements[0].to_unit.name if movements else unit.name
    plans, doses = _plans(admission, tz)
    taper = continuing_taper(admission, end)
    medicines = []
    if taper and taper["days"]:
        first = taper["days"][0]
        medicines.append(
            {
                "name": taper["agent"].capitalize(),
                "how": f"{first['total_mg']} mg on {first['date']}, then as the taper schedule",
                "why": "benzodiazepine taper (continuing)",
            }
        )
    escalations = Counter(
        Escalation.objects.filter(admission=admission).values_list("kind", flat=True)
    )
    record = getattr(admission, "discharge_record", None) if admission.discharged_at else None
    return {
        "content_version": CONTENT_VERSION,
        "patient": {
            "id": str(patient.public_id),
            "name": patient.full_name,
            "mrn": patient.mrn,
            "date_of_birth": patient.date_of_birth.isoformat(),
            "sex": patient.sex,
        },
        "stay": {
            "admission_id": str(admission.public_id),
            "admitted_at": _local(admission.admitted_at, tz),
            "discharged_at": _local(admission.discharged_at, tz),
            "discharge_reason": admission.discharge_reason,
            "discharge_override": (
                {
                    "category": record.override_category,
                    "category_label": record.get_override_category_display(),
                    "reason": record.override_reason,
                    "open_items": record.readiness,
                }
                if record and record.override_category
                else None
            ),
            "admitting_unit": first_unit,
            "unit": unit.name,
            "bed": admission.bed.label,
            "time_zone": unit.time_zone,
            "length_of_stay_days": (
                end.astimezone(tz).date() - admission.admitted_at.astimezone(tz).date()
            ).days,
            "length_of_stay_hours": int((end - admission.admitted_at).total_seconds() // 3600),
            "transfers": transfers,
        },
        "intake": {
            "substances": [
                {
                    "agent": s.agent_label,
                    "daily_dose_mg": _mg(s.daily_dose_mg),
                    "diazepam_mg": _mg(s.diazepam_mg),
                }
                for s in admission.substances.all()
            ],
            "diazepam_equivalent_mg": _mg(admission.diazepam_equivalent_mg),
            "range_across_tables_mg": [
                _mg(admission.diazepam_range_low_mg),
                _mg(admission.diazepam_range_high_mg),
            ],
            "table": admission.equivalence_table,
            "table_version": admission.equivalence_table_version,
            "dose_band": admission.dose_band,
            "withdrawal_risk": admission.withdrawal_risk,
        },
        "ciwa_b": _ciwa(admission, tz),
        "flags": _flags(admission, tz),
        "escalations": {
            "count": sum(escalations.values()),
            "by_kind": dict(sorted(escalations.items())),
        },
        "taper_plans": plans,
        "doses": doses,
        "medicines_at_discharge": medicines,
        "other_medicines": other_medicines.strip(),
        "continuing_taper": taper,
        "aftercare": _aftercare(admission, tz),
        "follow_ups": _follow_ups(admission, tz),
        "notes": notes.strip(),
    }


def canonical(content: dict[str, Any]) -> str:
    """The bytes the signature digest covers: keys sorted, no whitespace (as tapering does)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
