"""POST QuestionnaireResponse: a CIWA-B from another system, saved by the bedside service."""

from __future__ import annotations

import copy

import pytest

from assessments.models import Assessment, Escalation
from cnt_detox.core.models import AuditEvent
from fhir_r4.models import ReceivedResponse
from tests.fhir.conftest import validate

pytestmark = pytest.mark.django_db
URL = "/fhir/R4/QuestionnaireResponse"
FIELDS = [
    "items",
    "total",
    "band",
    "unable_reason",
    "heart_rate",
    "systolic_bp",
    "diastolic_bp",
    "temperature_c",
    "respiratory_rate",
    "spo2",
    "sedation_level",
    "seizure",
    "hallucinations",
    "confusion",
    "suicidal_thoughts",
    "assessed_at",
    "flags",
    "highest_flag_level",
    "instrument_code",
    "instrument_version",
]


def read_back(client, assessment):
    return client.get(f"{URL}/{assessment.public_id}").json()


def post(client, body, **headers):
    return client.post(URL, body, format="json", **headers)


def as_new(qr, value="visit-1"):
    body = copy.deepcopy(qr)
    body.pop("id")
    body["identifier"] = {"system": "urn:example:other-ehr", "value": value}
    return body


def test_round_trip_creates_an_equal_assessment(api, nurse, stay):
    client = api(nurse)
    original = stay.assessments[-1]
    response = post(client, as_new(read_back(client, original)))
    assert response.status_code == 201, response.json()
    validate(response.json())
    created = Assessment.objects.get(public_id=response.json()["id"])
    assert created.pk != original.pk
    for field in FIELDS:
        if field in ("flags", "highest_flag_level"):
            continue  # judged against a different "previous" entry, as the bedside form does
        assert getattr(created, field) == getattr(original, field), field
    assert response["Location"].endswith(f"{URL}/{created.public_id}")
    assert response.json()["identifier"] == {"system": "urn:example:other-ehr", "value": "visit-1"}
    assert ReceivedResponse.objects.get(assessment=created).value == "visit-1"
    assert AuditEvent.objects.filter(action="assessment.created", object_id=str(created.public_id))


def test_resend_is_idempotent_and_a_changed_resend_is_422(api, nurse, stay):
    client = api(nurse)
    body = as_new(read_back(client, stay.assessments[-1]))
    first = post(client, body)
    again = post(client, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    changed = copy.deepcopy(body)
    changed["item"][0]["item"][0]["answer"][0]["valueCoding"]["code"] = "0"
    clash = post(client, changed)
    assert clash.status_code == 422
    assert clash.json()["issue"][0]["expression"] == ["identifier"]
    assert Assessment.objects.filter(admission=stay.admission).count() == len(stay.assessments) + 1


def test_if_none_exist_header(api, nurse, stay):
    client = api(nurse)
    body = as_new(read_back(client, stay.assessments[-1]))
    del body["identifier"]
    header = {"HTTP_IF_NONE_EXIST": "identifier=urn:example:lab|42"}
    assert post(client, body, **header).status_code == 201
    assert post(client, body, **header).status_code == 200
    bad = post(client, body, HTTP_IF_NONE_EXIST="mrn=123")
    assert bad.status_code == 422


def test_our_own_response_sent_back_is_not_copied(api, nurse, stay):
    client = api(nurse)
    qr = read_back(client, stay.assessments[-1])
    response = post(client, qr)
    assert response.status_code == 200
    assert response.json()["id"] == qr["id"]
    assert Assessment.objects.filter(admission=stay.admission).count() == len(stay.assessments)


def test_critical_answer_escalates_like_the_bedside_form(api, nurse, stay):
    client = api(nurse)
    body = as_new(read_back(client, stay.assessments[-1]), value="seizure")
    observed = next(i for i in body["item"] if i["linkId"] == "observed")
    observed["item"][0]["answer"] = [{"valueBoolean": True}]  # seizure
    response = post(client, body)
    assert response.status_code == 201
    created = Assessment.objects.get(public_id=response.json()["id"])
    assert created.seizure and created.highest_flag_level == "critical"
    assert Escalation.objects.filter(assessment=created, kind="critical_flag").exists()


def _issue_paths(response):
    return [e for i in response.json()["issue"] for e in i.get("expression", [])]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda b: b.update(status="in-progress"), "status"),
        (
            lambda b: b.update(questionnaire="http://example.org/Questionnaire/phq-9"),
            "questionnaire",
        ),
        (lambda b: b.pop("encounter"), "encounter"),
        (
            lambda b: b["item"][0]["item"][6]["answer"][0]["valueCoding"].update(code="5"),
            "item[0].item[6].answer[0]",
        ),
        (
            lambda b: b["item"].append({"linkId": "mood", "answer": [{"valueInteger": 1}]}),
            "item[%d].answer[0]",
        ),
        (lambda b: b["item"][0]["item"].pop(2), "item.where(linkId='ciwa-b')"),
        (
            lambda b: next(i for i in b["item"] if i["linkId"] == "vitals")["item"][0]["answer"][
                0
            ].update(valueInteger=400),
            "item.where(linkId='heart-rate')",
        ),
    ],
)
def test_bad_responses_are_422_naming_the_problem(api, nurse, stay, change, path):
    client = api(nurse)
    body = as_new(read_back(client, stay.assessments[-1]), value="bad")
    change(body)
    path = path % (len(body["item"]) - 1) if "%d" in path else path
    response = post(client, body)
    assert response.status_code == 422, response.json()
    assert response.json()["resourceType"] == "OperationOutcome"
    assert path in _issue_paths(response), response.json()
    assert Assessment.objects.filter(admission=stay.admission).count() == len(stay.assessments)


def test_forbidden_paths(api, nurse, other_nurse, admin_user, stay):
    body = as_new(read_back(api(nurse), stay.assessments[-1]), value="x")
    other = post(api(other_nurse), body)
    assert other.status_code == 422
    assert _issue_paths(other) == ["encounter"]
    assert post(api(admin_user), body).status_code == 403
    assert post(api(), body).status_code == 401
    assert Assessment.objects.filter(admission=stay.admission).count() == len(stay.assessments)
