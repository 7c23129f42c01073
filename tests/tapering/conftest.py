"""Fixtures for the tapering feature's tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.factories import make_admission


@pytest.fixture
def admission(unit, nurse):
    return make_admission(unit, by=nurse)


@pytest.fixture
def other_admission(other_unit, other_nurse):
    return make_admission(other_unit, by=other_nurse)


def today(unit) -> dt.date:
    return unit.local_now().date()


@pytest.fixture
def plan_data(unit) -> dict[str, Any]:
    """Alprazolam 4 mg + lorazepam 2 mg/day to an inpatient diazepam plan starting today."""
    return {
        "agents": [
            {"agent": "alprazolam", "daily_dose_mg": "4"},
            {"agent": "lorazepam", "daily_dose_mg": "2"},
        ],
        "target_agent": "diazepam",
        "strategy": "inpatient",
        "params": {},
        "start_date": today(unit).isoformat(),
        "age": 45,
    }


@pytest.fixture
def draft(admission, physician, plan_data):
    from tapering import services

    return services.plan_create_draft(admission=admission, by=physician, data=plan_data)


@pytest.fixture
def active_plan(draft, physician):
    from tapering import services

    return services.plan_sign(
        plan=draft, by=physician, password=PASSWORD, expected_version=draft.lock_version
    )
