"""Fixtures for the assessments tests: an admission and a valid API payload builder."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.factories import items_for_total, make_admission


@pytest.fixture
def admission(unit, nurse):
    return make_admission(unit, by=nurse)


@pytest.fixture
def payload(admission):
    def build(total: int | None = 10, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "admission": str(admission.public_id),
            "assessed_at": (timezone.now() - dt.timedelta(minutes=1)).isoformat(),
            "vitals": {
                "heart_rate": 88,
                "systolic_bp": 128,
                "diastolic_bp": 82,
                "temperature_c": 36.9,
                "respiratory_rate": 16,
                "spo2": 98,
            },
            "sedation_level": 0,
            "observations": {
                "seizure": False,
                "hallucinations": False,
                "confusion": False,
                "suicidal_thoughts": False,
            },
        }
        if total is not None:
            body["items"] = items_for_total(total)
        for key, value in overrides.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    return build
