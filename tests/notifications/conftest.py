from __future__ import annotations

import datetime as dt

import pytest

from assessments.models import Escalation, EscalationKind
from notifications.models import UnitOnCall
from tests.factories import make_admission, make_assessment

NOW = dt.datetime(2025, 3, 10, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def roster(unit, nurse, physician) -> UnitOnCall:
    return UnitOnCall.objects.create(unit=unit, on_call_physician=physician, charge_nurse=nurse)


@pytest.fixture
def charge_nurse(make_user, unit):
    from cnt_detox.core.roles import Role

    return make_user("charge1", Role.NURSE, unit)


@pytest.fixture
def admission(unit, nurse):
    return make_admission(unit, by=nurse, admitted_at=NOW - dt.timedelta(hours=6))


def due_in(admission, nurse, minutes: float, *, total: int = 10):
    """An assessment whose next CIWA-B falls ``minutes`` after NOW (negative: overdue)."""
    return make_assessment(
        admission,
        by=nurse,
        total=total,
        assessed_at=NOW - dt.timedelta(minutes=60 - minutes),
        next_due_minutes=60,
    )


def critical_escalation(admission, nurse, *, at=NOW, kind=EscalationKind.CRITICAL_FLAG):
    assessment = make_assessment(admission, by=nurse, total=45, assessed_at=at, seizure=True)
    return Escalation.objects.create(
        admission=admission,
        assessment=assessment,
        kind=kind,
        reason="Seizure since the last assessment",
        created_at=at,
    )
