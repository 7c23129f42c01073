"""Fixtures for the tapering feature's tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.factories import make_admission


@pytest.fixture
def admission(unit, nurse):
    # Admitted yesterday: doses of today's plan are then never before the admission, whatever
    # time the tests run (a dose cannot be recorded before the admission: issue 20 item 6).
    from django.utils import timezone

    return make_admission(unit, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=1))


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

    return services.plan_create_draft(admission=admission, actor=physician, data=plan_data)


def sign_before_first_dose(monkeypatch, plan, physician, **kwargs):
    """Sign ``plan`` as if before today's first dose time (07:00 on the unit's clock, or now if
    earlier), so today's doses are all scheduled whatever time the tests run (a plan signed
    later starts at the next dose time: issue 20 item 5)."""
    from django.utils import timezone

    from tapering import services

    unit = plan.admission.unit
    early = unit.local_now().replace(hour=7, minute=0, second=0, microsecond=0)
    fixed = min(timezone.now(), early.astimezone(dt.UTC))
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: fixed)
        return services.plan_sign(
            plan=plan,
            actor=physician,
            password=PASSWORD,
            expected_version=plan.lock_version,
            **kwargs,
        )


@pytest.fixture
def specialist(make_user, unit):
    """A second physician of the unit, marked addiction specialist (may co-sign, issue 15)."""
    user = make_user("specialist1", "physician", unit)
    user.is_addiction_specialist = True
    user.save(update_fields=["is_addiction_specialist"])
    return user


@pytest.fixture
def active_plan(draft, physician, monkeypatch):
    return sign_before_first_dose(monkeypatch, draft, physician)
