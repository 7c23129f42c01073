"""The stay's clinical record sections of the discharge summary: CIWA-B course, flags raised,
taper plan versions and the doses recorded under them.

Every figure is read from a stored record, never recomputed from a rule. Part of
``aftercare.summary`` (see the package docstring).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from assessments.models import Assessment, AssessmentFlag, AssessmentStatus
from clinical.ciwa_b import BAND_LABELS, Band
from clinical.risk import LEVEL_RANK
from clinical.taper.rounding import format_mg
from patients.models import Admission
from tapering.models import DoseAdministration, PlanStatus, RecordStatus, TaperPlan


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
        if LEVEL_RANK.get(flag.level, 9) < LEVEL_RANK.get(entry["level"], 9):
            entry["level"] = flag.level
    return sorted(seen.values(), key=lambda f: (LEVEL_RANK.get(f["level"], 9), f["code"]))


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
