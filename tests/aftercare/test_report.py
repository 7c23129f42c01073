"""The period report gains follow-up attendance and readmission within 30 days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from aftercare import services
from patients.models import Admission, AdmissionStatus
from reports.period import Period, period_summary
from tests.factories import make_admission

pytestmark = pytest.mark.django_db


def _discharge(admission, at):
    Admission.objects.filter(pk=admission.pk).update(
        discharged_at=at, status=AdmissionStatus.DISCHARGED, discharge_reason="x"
    )
    admission.refresh_from_db()


def test_follow_up_attendance_and_readmission(unit, nurse, api, admin_user):
    now = timezone.now()
    first = make_admission(unit, by=nurse, admitted_at=now - dt.timedelta(days=12))
    _discharge(first, now - dt.timedelta(days=6))
    # Same MRN back 4 days after discharge: a readmission within 30 days.
    again = make_admission(
        unit, by=nurse, patient=first.patient, admitted_at=now - dt.timedelta(days=2)
    )
    other = make_admission(unit, by=nurse, admitted_at=now - dt.timedelta(days=9))
    _discharge(other, now - dt.timedelta(days=5))
    for n, outcome in enumerate(("attended", "missed", None)):
        f = services.follow_up_create(
            actor=nurse,
            admission=first if n < 2 else other,
            scheduled_at=now - dt.timedelta(days=3, hours=n),
            with_whom="Clinic",
            mode="in_person",
        )
        if outcome:
            services.follow_up_record(
                actor=nurse, follow_up=f, status=outcome, adherence="as_prescribed"
            )
    today = now.astimezone(unit.tz).date()
    s = period_summary(Period(unit, today - dt.timedelta(days=7), today), now=now)
    assert s.discharges == 2
    assert s.readmissions_30d == 1
    assert s.follow_ups["attended"] == 1 and s.follow_ups["missed"] == 1
    assert s.follow_ups["scheduled"] == 1
    assert s.follow_up_text == "50% (1 of 2 attended)"
    assert again.is_open

    response = api(admin_user).get(
        "/api/v1/reports/period",
        {
            "unit": str(unit.public_id),
            "start": (today - dt.timedelta(days=7)).isoformat(),
            "end": today.isoformat(),
            "format": "json",
        },
    )
    assert response.status_code == 200, response.content[:500]
    summary = response.json()["summary"]
    assert summary["readmissions_within_30_days"] == 1
    assert summary["follow_ups"]["attended"] == 1
