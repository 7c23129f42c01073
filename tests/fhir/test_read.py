"""Read by id, metadata and the Questionnaire: each equals the Bundle's copy and validates."""

from __future__ import annotations

import pytest

from cnt_detox.core.models import AuditEvent
from fhir_r4.read import READABLE_TYPES
from tests.fhir.conftest import validate

pytestmark = pytest.mark.django_db


def test_every_resource_of_the_bundle_reads_back_equal(api, nurse, stay):
    client = api(nurse)
    bundle = client.get(f"/fhir/R4/Encounter/{stay.admission.public_id}/$everything").json()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        response = client.get(f"/fhir/R4/{resource['resourceType']}/{resource['id']}")
        assert response.status_code == 200, resource["id"]
        assert response.json() == resource
        validate(response.json())
    reads = AuditEvent.objects.filter(action="fhir.resource_read")
    assert reads.count() == len(bundle["entry"]) - 1  # the Questionnaire names no patient
    assert set(reads.values_list("patient_public_id", flat=True)) == {
        stay.admission.patient.public_id
    }


def test_other_unit_and_admin_and_unknown(api, other_nurse, admin_user, nurse, stay):
    plan = f"/fhir/R4/MedicationRequest/{stay.plan_v2.public_id}"
    assert api(other_nurse).get(plan).status_code == 404
    assert api(admin_user).get(plan).status_code == 403
    assert api().get(plan).status_code == 401
    client = api(nurse)
    for path in (
        "/fhir/R4/Encounter/1",  # sequential keys are never ids
        f"/fhir/R4/Encounter/{stay.admission.public_id}-nope",
        f"/fhir/R4/Observation/{stay.admission.public_id}-total",
        f"/fhir/R4/Flag/{stay.admission.public_id}-flag-99",
        "/fhir/R4/Practitioner/abc",
        "/fhir/R4/Questionnaire/phq-9",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["resourceType"] == "OperationOutcome"


def test_questionnaire_at_its_canonical_id(api, nurse, admin_user):
    q = api(nurse).get("/fhir/R4/Questionnaire/ciwa-b").json()
    validate(q)
    assert q["url"].endswith("/Questionnaire/ciwa-b") and q["version"] == "1989"
    items = q["item"][0]["item"]
    assert [i["linkId"] for i in items] == [str(n) for n in range(1, 21)]
    assert [o["valueCoding"]["code"] for o in items[0]["answerOption"]] == list("01234")
    assert items[0]["answerOption"][4]["valueCoding"]["display"] == "Very much so"
    assert api(admin_user).get("/fhir/R4/Questionnaire/ciwa-b").status_code == 200


def test_capability_statement_lists_what_is_supported(api):
    response = api().get("/fhir/R4/metadata")
    assert response.status_code == 200
    statement = response.json()
    validate(statement)
    [rest] = statement["rest"]
    types = {r["type"] for r in rest["resource"]}
    assert types == {*READABLE_TYPES, "Group"}
    encounter = next(r for r in rest["resource"] if r["type"] == "Encounter")
    assert encounter["operation"][0]["name"] == "everything"
    qr = next(r for r in rest["resource"] if r["type"] == "QuestionnaireResponse")
    assert {i["code"] for i in qr["interaction"]} == {"read", "create"}
