"""Dose records queued on a device while offline (issue 14): one record per key, the
bedside time, refusals the queue shows."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.services import admission_discharge
from tapering import dose_services
from tapering.models import DoseAdministration, ScheduledDose

pytestmark = pytest.mark.django_db
REPLAY = {"HTTP_X_OFFLINE_REPLAY": "1"}


def _first_dose(plan) -> ScheduledDose:
    return ScheduledDose.objects.filter(plan=plan).order_by("due_at").first()


def _data(dose, **extra):
    data = {"dose": str(dose.public_id), "outcome": "given", "idempotency_key": str(uuid.uuid4())}
    data.update(extra)
    return data


def test_queued_dose_is_recorded_once_at_the_bedside_time(client, nurse, admission, active_plan):
    client.force_login(nurse)
    dose = _first_dose(active_plan)
    url = reverse("tapering:record_dose", args=[admission.public_id])
    # Save pressed on the device after the plan was signed (a dose cannot predate that).
    pressed = timezone.now()
    data = _data(dose, recorded_offline_at=pressed.isoformat())
    first = client.post(url, data, **REPLAY)
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "received" and not first.json()["replayed"]
    assert "received by the server" in first.json()["message"]
    record = DoseAdministration.objects.get()
    assert record.occurred_at == pressed and record.recorded_offline_at == pressed
    assert record.recorded_at > pressed  # received later; the dose time is the bedside time
    for _ in range(2):
        again = client.post(url, data, **REPLAY)
        assert again.status_code == 201 and again.json()["replayed"] is True
    # A plain form resend (double tap, no JavaScript) is the same record too.
    assert client.post(url, data).status_code == 302
    assert DoseAdministration.objects.count() == 1


def test_same_key_for_another_outcome_is_refused(client, nurse, admission, active_plan):
    client.force_login(nurse)
    dose = _first_dose(active_plan)
    url = reverse("tapering:record_dose", args=[admission.public_id])
    data = _data(dose)
    assert client.post(url, data, **REPLAY).status_code == 201
    refused = client.post(url, dict(data, outcome="refused"), **REPLAY)
    assert refused.status_code == 409 and "different dose record" in refused.json()["reason"]


def test_second_key_for_a_recorded_dose_is_refused_with_the_reason(
    client, nurse, admission, active_plan
):
    client.force_login(nurse)
    dose = _first_dose(active_plan)
    url = reverse("tapering:record_dose", args=[admission.public_id])
    assert client.post(url, _data(dose), **REPLAY).status_code == 201
    second = client.post(url, _data(dose), **REPLAY)
    assert second.status_code == 400 and "already recorded" in second.json()["reason"]


def test_discharged_patient_dose_is_refused(client, nurse, physician, admission, active_plan):
    client.force_login(nurse)
    dose = _first_dose(active_plan)
    # The plan is above 20 mg/day, so only a physician's discharge with a reason goes through
    # (discharge readiness, aftercare).
    admission_discharge(
        actor=physician,
        admission=admission,
        discharged_at=timezone.now(),
        reason="Left the unit",
        override={
            "override_category": "against_medical_advice",
            "override_reason": "Left against advice",
            "acknowledge_warnings": True,
        },
    )
    url = reverse("tapering:record_dose", args=[admission.public_id])
    response = client.post(url, _data(dose), **REPLAY)
    assert response.status_code in (400, 409)
    assert response.json()["status"] == "refused"
    assert "discharged" in response.json()["reason"] or "discontinued" in response.json()["reason"]
    assert not DoseAdministration.objects.exists()


def test_old_save_time_is_refused(nurse, active_plan):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        dose_services.dose_record(
            scheduled_dose=_first_dose(active_plan),
            actor=nurse,
            outcome="given",
            recorded_offline_at=timezone.now() - dt.timedelta(hours=13),
        )
    assert "recorded_offline_at" in err.value.message_dict


def test_api_idempotency_key_returns_the_original(api, nurse, active_plan):
    dose = _first_dose(active_plan)
    client = api(nurse)
    url = f"/api/v1/scheduled-doses/{dose.public_id}/administrations/"
    headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    pressed = timezone.now().isoformat()
    body = {"outcome": "given", "recorded_offline_at": pressed}
    first = client.post(url, body, format="json", **headers)
    assert first.status_code == 201, first.json()
    assert first.json()["recorded_offline_at"] is not None
    second = client.post(url, body, format="json", **headers)
    assert second.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    other = client.post(url, {"outcome": "refused"}, format="json", **headers)
    assert other.status_code == 422
    assert DoseAdministration.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_of_one_dose_key_make_one_record(nurse, active_plan):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections
    from rest_framework.test import APIClient

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    dose = _first_dose(active_plan)
    url = f"/api/v1/scheduled-doses/{dose.public_id}/administrations/"
    key = str(uuid.uuid4())
    barrier = threading.Barrier(6)

    def send(_: int):
        client = APIClient()
        client.force_authenticate(nurse)
        try:
            barrier.wait()
            response = client.post(
                url, {"outcome": "given"}, format="json", HTTP_IDEMPOTENCY_KEY=key
            )
            return response.status_code, response.json()["id"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(send, range(6)))
    assert [status for status, _ in results] == [201] * 6, results
    assert len({record_id for _, record_id in results}) == 1
    assert DoseAdministration.objects.count() == 1
