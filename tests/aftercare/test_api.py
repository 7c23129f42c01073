"""The API reads and writes through the same services: readiness and discharge, follow-ups."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from aftercare.models import DischargeRecord, FollowUpAppointment
from tests.aftercare.conftest import active
from tests.factories import make_admission

pytestmark = pytest.mark.django_db


def test_readiness_then_discharge_with_override(unit, nurse, physician, api):
    admission = make_admission(unit, by=nurse)
    active(admission, physician)
    url = f"/api/v1/admissions/{admission.public_id}/discharge-readiness/"
    data = api(nurse).get(url).json()
    assert data["ready"] is False and data["items"][0]["code"] == "dose_above_discharge"
    body = {"discharged_at": timezone.now().isoformat(), "reason": "Hospital"}
    refused = api(nurse).post(url, {**body, "acknowledge_warnings": True}, format="json")
    assert refused.status_code == 400 and not DischargeRecord.objects.exists()
    no_zone = api(physician).post(url, {**body, "discharged_at": "2026-01-01T10:00"}, format="json")
    assert no_zone.status_code == 400 and "discharged_at" in no_zone.json()["error"]["fields"]
    ok = api(physician).post(
        url,
        {
            **body,
            "override_category": "transfer_to_hospital",
            "override_reason": "Fall with head injury",
            "acknowledge_warnings": True,
        },
        format="json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["override_category"] == "transfer_to_hospital"
    again = api(physician).post(url, body, format="json")
    assert again.status_code == 400


def test_follow_up_api(unit, nurse, api, other_nurse):
    admission = make_admission(unit, by=nurse)
    url = f"/api/v1/admissions/{admission.public_id}/follow-ups/"
    bad = api(nurse).post(url, {"mode": "carrier pigeon"}, format="json")
    assert bad.status_code == 400
    assert {"scheduled_at", "with_whom", "mode"} <= set(bad.json()["error"]["fields"])
    when = (timezone.now() + dt.timedelta(days=2)).isoformat()
    created = api(nurse).post(
        url, {"scheduled_at": when, "with_whom": "Clinic", "mode": "telehealth"}, format="json"
    )
    assert created.status_code == 201
    fid = created.json()["id"]
    outcome = f"/api/v1/follow-ups/{fid}/outcome/"
    assert api(other_nurse).post(outcome, {"status": "missed"}, format="json").status_code == 404
    assert api(nurse).post(outcome, {"status": "cancelled"}, format="json").status_code == 400
    done = api(nurse).post(outcome, {"status": "missed"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "missed"
    assert FollowUpAppointment.objects.get().status == "missed"
    assert [f["id"] for f in api(nurse).get(url).json()] == [fid]


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"level_of_care": ["x"], "support_groups": 5},
        {"level_of_care": "outpatient", "level_reason": "x", "support_groups": ["1" * 30]},
        {"referrals": "nope", "level_of_care": {"a": 1}},
    ],
)
def test_odd_bodies_are_400_not_500(unit, nurse, api, body):
    admission = make_admission(unit, by=nurse)
    for path in ("aftercare-plans", "follow-ups", "discharge-readiness"):
        response = api(nurse).post(
            f"/api/v1/admissions/{admission.public_id}/{path}/", body, format="json"
        )
        assert response.status_code == 400, (path, response.content)
    odd_time = api(nurse).post(
        f"/api/v1/admissions/{admission.public_id}/follow-ups/",
        {"scheduled_at": "2026-13-45T99:00+00:00", "with_whom": "x", "mode": "in_person"},
        format="json",
    )
    assert odd_time.status_code == 400
