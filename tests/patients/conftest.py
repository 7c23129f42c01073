"""Builders for intake tests: API payloads and page form data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from patients.models import Admission, Bed, Patient, SubstanceUse, Unit

_counter = iter(range(5000, 100000))


def payload(unit: Unit, bed: Bed, **overrides: Any) -> dict[str, Any]:
    """The issue's example: alprazolam 4 mg + lorazepam 2 mg a day (100 mg diazepam, ashton)."""
    now = timezone.now()
    body: dict[str, Any] = {
        "patient": {
            "mrn": f"T{next(_counter)}",
            "first_name": "Alex",
            "last_name": "Morgan",
            "date_of_birth": "1979-03-02",
            "sex": "female",
        },
        "unit": str(unit.public_id),
        "bed": str(bed.public_id),
        "admitted_at": (now - dt.timedelta(minutes=30)).isoformat(),
        "substances": [
            {
                "agent": "alprazolam",
                "daily_dose_mg": "4",
                "days_per_week": 7,
                "duration_months": "18",
                "last_dose_at": (now - dt.timedelta(hours=10)).isoformat(),
            },
            {
                "agent": "lorazepam",
                "daily_dose_mg": "2",
                "days_per_week": 7,
                "duration_months": "6",
                "last_dose_at": (now - dt.timedelta(hours=8)).isoformat(),
            },
        ],
        "history": {
            "withdrawal_seizures": False,
            "epilepsy": False,
            "withdrawal_psychosis": False,
            "alcohol_dependence": False,
            "other_cns_depressants": False,
            "hepatic_impairment": False,
        },
    }
    body.update(overrides)
    return body


def form_data(bed: Bed, rows: list[dict[str, str]] | None = None, **overrides: str) -> dict:
    """POST data of the admit page (four substance rows, unused ones left as rendered)."""
    local_now = timezone.now().astimezone(bed.unit.tz)
    rows = rows or [
        {"agent": "alprazolam", "daily_dose_mg": "4", "duration_months": "18"},
        {"agent": "lorazepam", "daily_dose_mg": "2", "duration_months": "6"},
    ]
    data = {
        "mrn": f"F{next(_counter)}",
        "first_name": "Sam",
        "last_name": "Taylor",
        "date_of_birth": "1970-01-15",
        "sex": "male",
        "bed": str(bed.public_id),
        "admitted_at": local_now.strftime("%Y-%m-%dT%H:%M"),
        "referral_notes": "",
        "substances-TOTAL_FORMS": "4",
        "substances-INITIAL_FORMS": "0",
        "substances-MIN_NUM_FORMS": "0",
        "substances-MAX_NUM_FORMS": "4",
    }
    for i in range(4):
        row = rows[i] if i < len(rows) else {}
        data[f"substances-{i}-days_per_week"] = row.get("days_per_week", "7")
        for name in (
            "agent",
            "other_agent_text",
            "daily_dose_mg",
            "doses_per_day",
            "duration_months",
            "last_dose_at",
            "prescribed",
        ):
            data[f"substances-{i}-{name}"] = row.get(name, "")
    data.update(overrides)
    return data


def nothing_saved() -> bool:
    return (
        not Patient.objects.exists()
        and not Admission.objects.exists()
        and not SubstanceUse.all_objects.exists()
    )


@pytest.fixture
def free_beds(unit) -> list[Bed]:
    return list(unit.beds.order_by("label"))
