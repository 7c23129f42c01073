"""Encounter/$everything: a whole stay as a Bundle that validates, with every record's status."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cnt_detox.core.models import AuditEvent
from tests.fhir.conftest import add_assessment, make_stay, validate

pytestmark = pytest.mark.django_db
FHIR = "application/fhir+json"


def everything(client, admission):
    return client.get(f"/fhir/R4/Encounter/{admission.public_id}/$everything")


def by_type(bundle):
    out: dict[str, list] = {}
    for entry in bundle["entry"]:
        out.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return out


def test_bundle_of_a_full_stay_validates(api, nurse, stay):
    response = everything(api(nurse), stay.admission)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR)
    bundle = response.json()
    validate(bundle)
    for entry in bundle["entry"]:
        validate(entry["resource"])
        assert entry["fullUrl"].endswith(
            f"/fhir/R4/{entry['resource']['resourceType']}/{entry['resource']['id']}"
        )
    found = by_type(bundle)
    assert {
        "Patient",
        "Encounter",
        "MedicationStatement",
        "Condition",
        "Observation",
        "QuestionnaireResponse",
        "Flag",
        "MedicationRequest",
        "Provenance",
        "MedicationAdministration",
        "Questionnaire",
    } <= set(found)
    # No sequential key anywhere: every id is a public id (or derived from one).
    for resources in found.values():
        for r in resources:
            assert not r["id"].isdigit()


def test_encounter_has_the_transfer(api, nurse, stay):
    found = by_type(everything(api(nurse), stay.admission).json())
    [encounter] = found["Encounter"]
    assert encounter["class"]["code"] == "IMP"
    assert encounter["status"] == "in-progress"
    first, second = encounter["location"]
    assert first["status"] == "completed" and second["status"] == "active"
    assert first["period"]["end"] == second["period"]["start"]
    assert "B1" in first["location"]["display"] and "B2" in second["location"]["display"]


def test_entered_in_error_assessment_is_there_with_that_status(api, nurse, stay):
    found = by_type(everything(api(nurse), stay.admission).json())
    wrong = str(stay.in_error.public_id)
    [qr] = [r for r in found["QuestionnaireResponse"] if r["id"] == wrong]
    assert qr["status"] == "entered-in-error"
    total = next(r for r in found["Observation"] if r["id"] == f"{wrong}-total")
    assert total["status"] == "entered-in-error"
    assert len(found["QuestionnaireResponse"]) == len(stay.assessments)
    valid = [r for r in found["QuestionnaireResponse"] if r["id"] != wrong]
    assert {r["status"] for r in valid} == {"completed"}


def test_total_and_vitals_observations(api, nurse, stay):
    found = by_type(everything(api(nurse), stay.admission).json())
    a = stay.assessments[-1]
    obs = {r["id"]: r for r in found["Observation"]}
    total = obs[f"{a.public_id}-total"]
    assert total["valueInteger"] == a.total
    assert total["interpretation"][0]["text"] == a.band_name
    assert total["derivedFrom"][0]["reference"] == f"QuestionnaireResponse/{a.public_id}"
    assert "loinc" not in str(total["code"]).lower()
    heart = obs[f"{a.public_id}-hr"]
    assert heart["code"]["coding"][0] == {"system": "http://loinc.org", "code": "8867-4"}
    assert heart["valueQuantity"]["code"] == "/min"
    assert obs[f"{a.public_id}-temp"]["valueQuantity"] == {
        "value": 37.4,
        "unit": "Cel",
        "system": "http://unitsofmeasure.org",
        "code": "Cel",
    }
    spo2 = obs[f"{a.public_id}-spo2"]["code"]["coding"]
    assert [c["code"] for c in spo2] == ["59408-5", "2708-6"]
    bp = obs[f"{a.public_id}-bp"]
    assert bp["code"]["coding"][0]["code"] == "85354-9"
    assert [c["code"]["coding"][0]["code"] for c in bp["component"]] == ["8480-6", "8462-4"]
    assert obs[f"{a.public_id}-vitals"]["code"]["coding"][0]["code"] == "85353-1"


def test_amended_plan_two_signed_versions_with_steps_and_digest(api, physician, stay):
    found = by_type(everything(api(physician), stay.admission).json())
    requests = {r["id"]: r for r in found["MedicationRequest"]}
    v1, v2 = requests[str(stay.plan_v1.public_id)], requests[str(stay.plan_v2.public_id)]
    assert v1["status"] == "stopped" and v2["status"] == "active"
    assert v2["priorPrescription"]["reference"] == f"MedicationRequest/{stay.plan_v1.public_id}"
    for plan, resource in ((stay.plan_v1, v1), (stay.plan_v2, v2)):
        steps = plan.result["steps"]
        assert {d["sequence"] for d in resource["dosageInstruction"]} == set(
            range(1, len(steps) + 1)
        )
        for number, step in enumerate(steps, start=1):
            dosages = [d for d in resource["dosageInstruction"] if d["sequence"] == number]
            bounds = dosages[0]["timing"]["repeat"]["boundsPeriod"]
            assert bounds == {"start": step["start_date"], "end": step["end_date"]}
            given = sum(
                float(d["doseAndRate"][0]["doseQuantity"]["value"])
                * (d["timing"]["repeat"]["frequency"])
                for d in dosages
            )
            assert given == pytest.approx(float(step["daily_total_mg"]))
    provenance = {p["target"][0]["reference"]: p for p in found["Provenance"]}
    assert len(provenance) == 2
    for plan in (stay.plan_v1, stay.plan_v2):
        p = provenance[f"MedicationRequest/{plan.public_id}"]
        signature = p["signature"][0]
        assert signature["type"][0]["code"] == "1.2.840.10065.1.12.1.1"
        assert base64.b64decode(signature["data"]).hex() == plan.signature.digest
        assert signature["extension"][0]["valueString"] == plan.content_digest


def test_dose_records(api, nurse, stay):
    found = by_type(everything(api(nurse), stay.admission).json())
    records = {r["id"]: r for r in found["MedicationAdministration"]}
    assert records[str(stay.given.public_id)]["status"] == "completed"
    held = records[str(stay.held.public_id)]
    assert held["status"] == "not-done"
    assert held["statusReason"][0]["coding"][0]["code"] == "sedated"
    assert records[str(stay.refused.public_id)]["status"] == "not-done"
    assert records[str(stay.dose_in_error.public_id)]["status"] == "entered-in-error"
    assert held["request"]["reference"] == f"MedicationRequest/{stay.plan_v2.public_id}"


def test_flags_and_history(api, nurse, stay):
    found = by_type(everything(api(nurse), stay.admission).json())
    conditions = [c["code"]["text"] for c in found["Condition"]]
    assert conditions == ["History of benzodiazepine withdrawal seizures"]
    flag_status = {f["status"] for f in found["Flag"]}
    assert "active" in flag_status
    wrong = str(stay.in_error.public_id)
    assert all(
        f["status"] == "entered-in-error" for f in found["Flag"] if f["id"].startswith(wrong)
    )


def test_read_is_audited_naming_the_patient(api, nurse, stay):
    everything(api(nurse), stay.admission)
    event = AuditEvent.objects.filter(action="fhir.everything_read").get()
    assert event.patient_public_id == stay.admission.patient.public_id


def test_other_unit_is_404_admin_is_403_anonymous_is_401(api, other_nurse, admin_user, stay):
    for client, status in ((api(other_nurse), 404), (api(admin_user), 403), (api(), 401)):
        response = everything(client, stay.admission)
        assert response.status_code == status
        assert response.json()["resourceType"] == "OperationOutcome"
        assert response["Content-Type"].startswith(FHIR)


def test_query_count_constant_in_assessments(api, unit, nurse, physician):
    small = make_stay(unit, nurse, physician, assessments=2)
    client = api(nurse)
    with CaptureQueriesContext(connection) as few:
        assert everything(client, small.admission).status_code == 200
    for n in range(8):
        add_assessment(small.admission, nurse, 20 + n, minutes_ago=60 - n)
    with CaptureQueriesContext(connection) as many:
        assert everything(client, small.admission).status_code == 200
    assert len(many) == len(few)
