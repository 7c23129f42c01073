"""The discharge summary's whole content (``build_content``), its aftercare and follow-up
sections, and the canonical bytes its signature covers.

``CONTENT_VERSION`` names this shape; it is stored with every signed summary. Part of
``aftercare.summary``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

from django.utils import timezone

from aftercare import selectors
from aftercare.models import FollowUpStatus
from aftercare.summary.records import _ciwa, _flags, _local, _mg, _plans
from aftercare.summary.taper import continuing_taper
from assessments.models import Escalation
from patients.models import Admission

CONTENT_VERSION = "summary-1"


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
