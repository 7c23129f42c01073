"""API of patients and admissions: contract, errors, forbidden paths, query counts, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cnt_detox.core.models import AuditEvent
from patients.models import Admission, AdmissionMovement
from tests.factories import make_admission
from tests.patients.conftest import nothing_saved, payload

pytestmark = pytest.mark.django_db
URL = "/api/v1/admissions/"


def test_nurse_admits_two_benzodiazepines_through_the_api(api, nurse, unit, bed):
    response = api(nurse).post(URL, payload(unit, bed), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["diazepam_equivalent_mg"] == "100.00"
    assert body["dose_band"] == "high"
    assert body["withdrawal_risk"] == "expected"
    assert body["diazepam_range_across_tables"] == {"low_mg": "50.00", "high_mg": "100.00"}
    assert {f["code"]: f["level"] for f in body["flags"]} == {
        "dose_above_50": "high",
        "dose_above_15": "elevated",
    }
    assert set(body["flags"][0]) == {"code", "level", "reason", "source"}
    assert body["setting_recommendation"]["setting"] == "inpatient"
    assert body["setting_recommendation"]["reasons"]
    assert [s["diazepam_mg"] for s in body["substances"]] == ["80.00", "20.00"]
    assert body["bed"]["id"] == str(bed.public_id)
    admission = Admission.objects.get(public_id=body["id"])
    assert admission.created_by == nurse
    assert AdmissionMovement.objects.filter(admission=admission).count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"daily_dose_mg": "-2"}, "substances.0.daily_dose_mg"),
        ({"daily_dose_mg": "1500"}, "substances.0.daily_dose_mg"),
        ({"days_per_week": 0}, "substances.0.days_per_week"),
        ({"days_per_week": 9}, "substances.0.days_per_week"),
        ({"agent": "Xanax-ish"}, "substances.0.agent"),
    ],
)
def test_bad_substance_gives_400_with_field_and_saves_nothing(api, nurse, unit, bed, change, field):
    body = payload(unit, bed)
    body["substances"][0].update(change)
    response = api(nurse).post(URL, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert nothing_saved()


def test_last_dose_in_future_gives_400(api, nurse, unit, bed):
    body = payload(unit, bed)
    body["substances"][1]["last_dose_at"] = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response = api(nurse).post(URL, body, format="json")
    assert response.status_code == 400
    assert "substances.1.last_dose_at" in response.json()["error"]["fields"]
    assert nothing_saved()


def test_unknown_unit_occupied_bed_and_duplicate_mrn(api, nurse, unit, other_unit, bed):
    client = api(nurse)
    response = client.post(URL, payload(other_unit, other_unit.beds.first()), format="json")
    assert response.status_code == 400
    assert "unit" in response.json()["error"]["fields"]
    first = client.post(URL, payload(unit, bed), format="json").json()
    response = client.post(URL, payload(unit, bed), format="json")
    assert response.status_code == 400
    assert "occupied" in response.json()["error"]["fields"]["bed"][0]
    body = payload(unit, unit.beds.order_by("label")[1])
    body["patient"] = {**first["patient"], "first_name": "Other"}
    body["patient"].pop("id")
    response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert "patient.mrn" in response.json()["error"]["fields"]
    assert Admission.objects.count() == 1


def test_malformed_body_gives_400_not_500(api, nurse, unit, bed):
    body = payload(unit, bed)
    body["unit"] = "not-a-uuid"
    body["substances"][0]["daily_dose_mg"] = "lots"
    response = api(nurse).post(URL, body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "unit" in fields and "substances" in fields


def test_other_units_nurse_gets_404_and_sees_nothing_in_lists(api, nurse, other_nurse, unit):
    admission = make_admission(unit, by=nurse)
    client = api(other_nurse)
    assert client.get(f"{URL}{admission.public_id}/").status_code == 404
    assert client.patch(f"{URL}{admission.public_id}/", {}, format="json").status_code == 404
    response = client.post(
        f"{URL}{admission.public_id}/discharge/",
        {"discharged_at": timezone.now().isoformat(), "reason": "x"},
        format="json",
    )
    assert response.status_code == 404
    assert client.get(URL).json()["results"] == []
    assert client.get(f"/api/v1/patients/{admission.patient.public_id}/").status_code == 404
    assert client.get("/api/v1/patients/").json()["results"] == []


def test_admin_gets_403_on_clinical_entry_and_reads(api, admin_user, unit, bed):
    client = api(admin_user)
    assert client.post(URL, payload(unit, bed), format="json").status_code == 403
    assert client.get(URL).status_code == 403
    assert client.get("/api/v1/patients/").status_code == 403
    assert nothing_saved()


def test_anonymous_is_refused(api, unit, bed):
    assert api().get(URL).status_code in (401, 403)


def test_retrieve_and_list_are_audited(api, nurse, unit):
    admissions = [make_admission(unit, by=nurse) for _ in range(3)]
    client = api(nurse)
    response = client.get(URL)
    assert response.status_code == 200
    lists = AuditEvent.objects.filter(action="admission.listed")
    assert lists.count() == 1
    assert set(lists.get().details["shown"]) == {str(a.public_id) for a in admissions}
    client.get(f"{URL}{admissions[0].public_id}/")
    view = AuditEvent.objects.get(action="admission.viewed")
    assert view.patient_public_id == admissions[0].patient.public_id


def _list_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_patients(api, nurse, unit, make_user):
    client = api(nurse)
    for _ in range(2):
        make_admission(unit, by=nurse)
    few = _list_queries(client, URL), _list_queries(client, "/api/v1/patients/")
    for _ in range(2):
        make_admission(unit, by=nurse)
    many = _list_queries(client, URL), _list_queries(client, "/api/v1/patients/")
    assert few == many


def test_patch_recomputes(api, nurse, unit, bed):
    client = api(nurse)
    created = client.post(URL, payload(unit, bed), format="json").json()
    response = client.patch(
        f"{URL}{created['id']}/",
        {
            "substances": [{"agent": "diazepam", "daily_dose_mg": "12", "duration_months": "2"}],
            "history": {"withdrawal_psychosis": True},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["diazepam_equivalent_mg"] == "12.00"
    assert body["dose_band"] == "moderate"
    assert body["withdrawal_risk"] == "expected"
    assert [f["code"] for f in body["flags"]] == ["history_withdrawal_psychosis"]
    assert len(body["substances"]) == 1
    bad = client.patch(
        f"{URL}{created['id']}/",
        {"substances": [{"agent": "diazepam", "daily_dose_mg": "-1", "duration_months": "2"}]},
        format="json",
    )
    assert bad.status_code == 400


def test_transfer_and_discharge_actions(api, nurse, unit, bed):
    client = api(nurse)
    created = client.post(URL, payload(unit, bed), format="json").json()
    target = unit.beds.order_by("label")[2]
    response = client.post(
        f"{URL}{created['id']}/transfer/",
        {"unit": str(unit.public_id), "bed": str(target.public_id), "reason": "Quieter room"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["bed"]["label"] == target.label
    early = (timezone.now() - dt.timedelta(days=3)).isoformat()
    response = client.post(
        f"{URL}{created['id']}/discharge/", {"discharged_at": early, "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "discharged_at" in response.json()["error"]["fields"]
    response = client.post(
        f"{URL}{created['id']}/discharge/",
        {"discharged_at": timezone.now().isoformat(), "reason": "Taper completed"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "discharged"
    open_list = client.get(f"{URL}?status=open").json()
    assert open_list["count"] == 0


def test_patients_endpoints(api, nurse, unit, bed):
    client = api(nurse)
    created = client.post(URL, payload(unit, bed), format="json").json()
    patient_id = created["patient"]["id"]
    listing = client.get("/api/v1/patients/").json()
    assert listing["count"] == 1
    assert listing["results"][0]["current_admission"] == created["id"]
    detail = client.get(f"/api/v1/patients/{patient_id}/")
    assert detail.status_code == 200
    assert AuditEvent.objects.filter(action="patient.viewed").count() == 1
    response = client.patch(
        f"/api/v1/patients/{patient_id}/", {"date_of_birth": "1950-01-01"}, format="json"
    )
    assert response.status_code == 200
    admission = Admission.objects.get(public_id=created["id"])
    assert "age_65_plus" in {f["code"] for f in admission.intake_flags}


def test_openapi_schema_documents_the_endpoints(api, nurse):
    response = api(nurse).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    text = response.content.decode()
    assert response.status_code == 200
    for path in (
        "/api/v1/admissions/",
        "/api/v1/admissions/{id}/transfer/",
        "/api/v1/admissions/{id}/discharge/",
        "/api/v1/patients/{id}/",
    ):
        assert path in text
    assert "AdmissionCreateIn" in text or "AdmissionCreateInRequest" in text


def test_unknown_agent_through_the_api_is_an_unknown_dose(api, nurse, unit, bed):
    # Issue 20 item 1: never 0 mg / low for an agent that is not converted.
    body = payload(unit, bed)
    body["substances"] = [
        {
            **body["substances"][0],
            "agent": "other",
            "other_agent_text": "etizolam",
            "daily_dose_mg": "2",
        }
    ]
    response = api(nurse).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    out = response.json()
    assert out["diazepam_equivalent_mg"] is None
    assert out["dose_known"] is False
    assert out["dose_text"] == "unknown: not converted"
    assert out["dose_band"] == "unknown"
    assert out["diazepam_range_across_tables"] == {"low_mg": None, "high_mg": None}
    assert "dose_unknown" in {f["code"] for f in out["flags"]}
    assert out["setting_recommendation"]["setting"] == "undecided"
