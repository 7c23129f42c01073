"""A seeded stay for the discharge and aftercare tests.

Two days on the unit with a transfer, three CIWA-B assessments (12, 25, 8), taper plan v1
signed, its first two doses recorded (given, then held: sedated), amended to v2 (signed,
superseding v1) and v2's first dose refused. Written through the real services where they
exist, so the summary is checked against what the services stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from aftercare.models import SupportGroup
from patients import services as patient_services
from tapering import dose_services
from tapering import services as taper_services
from tapering.models import ScheduledDose
from tests.conftest import PASSWORD
from tests.factories import make_admission, make_assessment


def plan_data(unit: Any, **overrides: Any) -> dict[str, Any]:
    """Alprazolam 4 + lorazepam 2 mg/day: an inpatient diazepam plan from today (capped 80)."""
    return {
        "agents": [
            {"agent": "alprazolam", "daily_dose_mg": "4"},
            {"agent": "lorazepam", "daily_dose_mg": "2"},
        ],
        "target_agent": "diazepam",
        "strategy": "inpatient",
        "params": {},
        "start_date": unit.local_now().date().isoformat(),
        "age": 45,
        **overrides,
    }


def sign(plan: Any, physician: Any) -> Any:
    return taper_services.plan_sign(
        plan=plan, actor=physician, password=PASSWORD, expected_version=plan.lock_version
    )


def active(admission: Any, physician: Any, **overrides: Any) -> Any:
    draft = taper_services.plan_create_draft(
        admission=admission, actor=physician, data=plan_data(admission.unit, **overrides)
    )
    return sign(draft, physician)


@pytest.fixture
def groups(db) -> list[SupportGroup]:
    return [
        SupportGroup.objects.create(
            name="SMART Recovery", contact="smartrecovery.example", meetings="Tuesdays 7 pm"
        ),
        SupportGroup.objects.create(name="Narcotics Anonymous", meetings="Daily, town hall"),
    ]


@pytest.fixture
def stay(unit, nurse, physician) -> dict[str, Any]:
    now = timezone.now()
    admission = make_admission(unit, by=nurse, admitted_at=now - dt.timedelta(days=2, hours=1))
    second_bed = unit.beds.exclude(pk=admission.bed_id).order_by("label").first()
    patient_services.admission_transfer(
        actor=nurse,
        admission=admission,
        unit_id=unit.public_id,
        bed_id=second_bed.public_id,
        reason="Quieter room",
    )
    admission.refresh_from_db()
    make_assessment(admission, by=nurse, total=12, assessed_at=now - dt.timedelta(days=2))
    make_assessment(admission, by=nurse, total=25, assessed_at=now - dt.timedelta(days=1))
    make_assessment(admission, by=nurse, total=8, assessed_at=now - dt.timedelta(hours=1))
    v1 = active(admission, physician)
    first, second = list(ScheduledDose.objects.filter(plan=v1).order_by("due_at")[:2])
    dose_services.dose_record(scheduled_dose=first, actor=nurse, outcome="given")
    dose_services.dose_record(
        scheduled_dose=second, actor=nurse, outcome="held", held_reason="sedated"
    )
    draft = taper_services.plan_amend(plan=v1, actor=physician, reason="Slower reduction")
    v2 = sign(draft, physician)
    v2_first = ScheduledDose.objects.filter(plan=v2).order_by("due_at").first()
    dose_services.dose_record(scheduled_dose=v2_first, actor=nurse, outcome="refused")
    v1.refresh_from_db()
    return {
        "admission": admission,
        "v1": v1,
        "v2": v2,
        "given": first,
        "held": second,
        "refused": v2_first,
        "second_bed": second_bed,
    }
