"""A full stay for the FHIR tests: transfer, assessments (one entered in error), an amended
plan with two signed versions, given, held, refused and entered-in-error doses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from assessments import services as assessment_services
from assessments.inputs import AssessmentInput
from patients.services import admission_transfer
from tapering import dose_services
from tapering import services as taper_services
from tapering.models import ScheduledDose
from tests.conftest import PASSWORD
from tests.factories import items_for_total, make_admission


def validate(resource: dict[str, Any]) -> Any:
    """Parse with the fhir.resources R4B model of its type (raises on any structural error)."""
    model = get_fhir_model_class(resource["resourceType"])
    return model.model_validate(resource)


@dataclass
class StayData:
    admission: Any
    assessments: list[Any]
    in_error: Any
    plan_v1: Any
    plan_v2: Any
    given: Any
    held: Any
    refused: Any
    dose_in_error: Any


def plan_data(unit) -> dict[str, Any]:
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
    }


def add_assessment(admission, nurse, total: int, minutes_ago: int, **extra) -> Any:
    entry = AssessmentInput(
        assessed_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        items=items_for_total(total),
        vitals={
            "heart_rate": 96,
            "systolic_bp": 142,
            "diastolic_bp": 88,
            "temperature_c": Decimal("37.4"),
            "respiratory_rate": 18,
            "spo2": 97,
        },
        sedation_level=0,
        **extra,
    )
    return assessment_services.assessment_create(
        admission=admission, actor=nurse, entry=entry
    ).assessment


def make_stay(unit, nurse, physician, *, assessments: int = 3) -> StayData:
    admission = make_admission(
        unit,
        by=nurse,
        admitted_at=timezone.now() - dt.timedelta(hours=12),
        withdrawal_seizures=True,
        other_cns_depressants=True,
        other_cns_depressants_detail="pregabalin 300 mg/day",
    )
    made = [
        add_assessment(admission, nurse, 12 + n, minutes_ago=600 - n * 10)
        for n in range(assessments)
    ]
    in_error = assessment_services.assessment_mark_entered_in_error(
        assessment=made[0], actor=nurse, reason="wrong patient"
    )
    free = unit.beds.exclude(pk=admission.bed_id).order_by("label").first()
    admission = admission_transfer(
        actor=nurse,
        admission=admission,
        unit_id=unit.public_id,
        bed_id=free.public_id,
        reason="quieter room",
    )
    v1 = taper_services.plan_create_draft(
        admission=admission, actor=physician, data=plan_data(unit)
    )
    v1 = taper_services.plan_sign(
        plan=v1, actor=physician, password=PASSWORD, expected_version=v1.lock_version
    )
    first = ScheduledDose.objects.filter(plan=v1).order_by("due_at").first()
    given = dose_services.dose_record(scheduled_dose=first, actor=nurse, outcome="given")
    v2 = taper_services.plan_amend(plan=v1, actor=physician, reason="slower taper after review")
    v2 = taper_services.plan_sign(
        plan=v2, actor=physician, password=PASSWORD, expected_version=v2.lock_version
    )
    v1.refresh_from_db()
    doses = list(ScheduledDose.objects.filter(plan=v2).order_by("due_at"))
    held = dose_services.dose_record(
        scheduled_dose=doses[0], actor=nurse, outcome="held", held_reason="sedated"
    )
    refused = dose_services.dose_record(scheduled_dose=doses[1], actor=nurse, outcome="refused")
    wrong = dose_services.dose_record(scheduled_dose=doses[2], actor=nurse, outcome="given")
    wrong = dose_services.dose_mark_in_error(administration=wrong, actor=nurse, reason="wrong time")
    return StayData(admission, made, in_error, v1, v2, given, held, refused, wrong)


@pytest.fixture
def stay(unit, nurse, physician) -> StayData:
    return make_stay(unit, nurse, physician)


@pytest.fixture
def fhir_client(api):
    return api
