"""Entries queued on a device while offline (issue 14): the bedside time, the limits, the JSON
answers the service worker reads, and one row whatever the number of resends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, Escalation
from patients.services import admission_discharge
from tests.assessments.test_pages import form_data

pytestmark = pytest.mark.django_db
REPLAY = {"HTTP_X_OFFLINE_REPLAY": "1"}


def _post(client, admission, data):
    return client.post(reverse("assessments:new", args=[admission.public_id]), data, **REPLAY)


def test_queued_entry_takes_the_bedside_time_and_is_marked_late(client, nurse, admission):
    client.force_login(nurse)
    pressed = timezone.now() - dt.timedelta(minutes=40)
    data = form_data(12, recorded_offline_at=pressed.isoformat())
    response = _post(client, admission, data)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "received" and body["replayed"] is False
    assert "CIWA-B received by the server" in body["message"]
    assert "late entry" in body["message"]
    a = Assessment.objects.get()
    assert a.assessed_at == pressed and a.recorded_offline_at == pressed
    assert a.is_late_entry and a.recorded_at > pressed
    assert body["url"] == reverse("assessments:detail", args=[a.public_id])
    detail = client.get(body["url"]).content.decode()
    assert "Saved on the device without a connection" in detail

    # The queue sends again (its answer was lost): the original, one row.
    again = _post(client, admission, data)
    assert again.status_code == 201 and again.json()["replayed"] is True
    assert again.json()["url"] == body["url"]
    assert Assessment.objects.count() == 1


def test_resend_of_an_entry_whose_answer_was_lost_matches_the_original(client, nurse, admission):
    """The first send reached the server (no offline time); the queued copy carries one."""
    client.force_login(nurse)
    data = form_data(12)
    first = client.post(reverse("assessments:new", args=[admission.public_id]), data)
    assert first.status_code == 302
    queued = dict(data, recorded_offline_at=timezone.now().isoformat())
    for _ in range(2):
        response = _post(client, admission, queued)
        assert response.status_code == 201 and response.json()["replayed"] is True
    assert Assessment.objects.count() == 1
    assert Assessment.objects.get().recorded_offline_at is None


def test_typed_time_wins_over_the_save_time(client, nurse, admission):
    client.force_login(nurse)
    local = timezone.localtime(timezone.now() - dt.timedelta(minutes=30), admission.unit.tz)
    data = form_data(
        12,
        assessed_at=local.strftime("%Y-%m-%dT%H:%M"),
        recorded_offline_at=(timezone.now() - dt.timedelta(minutes=5)).isoformat(),
    )
    assert _post(client, admission, data).status_code == 201
    a = Assessment.objects.get()
    assert a.assessed_at == local.replace(second=0, microsecond=0)


@pytest.mark.parametrize(
    ("offset", "words"),
    [(dt.timedelta(minutes=30), "in the future"), (dt.timedelta(hours=-13), "more than 12 hours")],
)
def test_save_time_outside_the_limits_is_refused(client, nurse, admission, offset, words):
    client.force_login(nurse)
    data = form_data(12, recorded_offline_at=(timezone.now() + offset).isoformat())
    response = _post(client, admission, data)
    assert response.status_code == 400
    assert response.json()["status"] == "refused" and words in response.json()["reason"]
    assert not Assessment.objects.exists()


def test_patient_discharged_while_queued_is_refused_with_the_reason(client, nurse, admission):
    client.force_login(nurse)
    admission_discharge(
        actor=nurse, admission=admission, discharged_at=timezone.now(), reason="Completed"
    )
    data = form_data(12, recorded_offline_at=timezone.now().isoformat())
    response = _post(client, admission, data)
    assert response.status_code == 400
    assert "discharged" in response.json()["reason"]
    assert not Assessment.objects.exists()


def test_incomplete_queued_form_is_refused_naming_the_item(client, nurse, admission):
    client.force_login(nurse)
    data = form_data(12)
    del data["item_3"]
    response = _post(client, admission, data)
    assert response.status_code == 400 and "Choose a score" in response.json()["reason"]


def test_critical_flag_escalates_when_the_entry_arrives(client, nurse, admission):
    client.force_login(nurse)
    pressed = timezone.now() - dt.timedelta(minutes=20)
    data = form_data(12, seizure="on", recorded_offline_at=pressed.isoformat())
    body = _post(client, admission, data).json()
    assert "Physician notified" in body["message"]
    escalation = Escalation.objects.get(kind="critical_flag")
    assert escalation.created_at == Assessment.objects.get().recorded_at


def test_expired_session_is_not_an_answer(client, admission):
    """No session: a redirect to the login page, which the queue reads as "log in"."""
    response = _post(client, admission, form_data(12))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_unit_is_404(client, other_nurse, admission):
    client.force_login(other_nurse)
    assert _post(client, admission, form_data(12)).status_code == 404


def test_api_accepts_recorded_offline_at(api, nurse, payload):
    pressed = timezone.now() - dt.timedelta(minutes=25)
    body = payload(10, assessed_at=None, recorded_offline_at=pressed.isoformat())
    client = api(nurse)
    headers = {"HTTP_IDEMPOTENCY_KEY": "6f1c8a52-6d43-4bb5-9e7e-0d0f2f1a9a11"}
    first = client.post("/api/v1/assessments/", body, format="json", **headers)
    assert first.status_code == 201, first.json()
    assert first.json()["is_late_entry"] is True
    assert first.json()["recorded_offline_at"] is not None
    second = client.post("/api/v1/assessments/", body, format="json", **headers)
    assert second.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert Assessment.objects.count() == 1
    future = payload(10, recorded_offline_at=(timezone.now() + dt.timedelta(hours=1)).isoformat())
    bad = client.post("/api/v1/assessments/", future, format="json")
    assert bad.status_code == 400
    assert "recorded_offline_at" in bad.json()["error"]["fields"]
