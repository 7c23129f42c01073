"""Bulk export (Bulk Data Access IG): kick-off, status, manifest, download, cancel, retention.

Celery is eager here (tests/conftest.py); test_export_worker.py runs a real worker on Redis.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from cnt_detox.core.models import AuditEvent
from fhir_r4 import export, services
from fhir_r4.models import ExportJob, ExportStatus
from tests.fhir.conftest import validate

pytestmark = pytest.mark.django_db
ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.FHIR_EXPORT_DIR = tmp_path / "exports"


def kick_off(client, path, capture, **params):
    with capture(execute=True):
        return client.get(path, params, **ASYNC)


def status_path(response):
    return response["Content-Location"].split("testserver", 1)[1]


def read_ndjson(client, url):
    response = client.get(url.split("testserver", 1)[1])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    body = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in body.splitlines()]


def test_patient_export_end_to_end(api, admin_user, stay, django_capture_on_commit_callbacks):
    client = api(admin_user)
    response = kick_off(client, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks)
    assert response.status_code == 202
    status = client.get(status_path(response))
    assert status.status_code == 200
    manifest = status.json()
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["request"].endswith("/fhir/R4/Patient/$export")
    types = {o["type"] for o in manifest["output"]}
    assert {
        "Patient",
        "Encounter",
        "QuestionnaireResponse",
        "MedicationRequest",
        "Provenance",
        "MedicationAdministration",
        "Observation",
        "Flag",
    } <= types
    for output in manifest["output"]:
        lines = read_ndjson(client, output["url"])
        assert len(lines) == output["count"]
        for resource in lines:
            assert resource["resourceType"] == output["type"]
            validate(resource)
    patient = str(stay.admission.patient.public_id)
    done = AuditEvent.objects.get(action="fhir.export_completed")
    assert done.details["patients"] == [patient]
    downloads = AuditEvent.objects.filter(action="fhir.export_downloaded")
    assert downloads.count() == len(manifest["output"])
    assert all(d.details["patients"] == [patient] for d in downloads)
    assert AuditEvent.objects.filter(action="fhir.export_requested").count() == 1


def test_group_export_with_type_and_since(
    api, admin_user, unit, stay, django_capture_on_commit_callbacks
):
    client = api(admin_user)
    path = f"/fhir/R4/Group/{unit.public_id}/$export"
    response = kick_off(
        client, path, django_capture_on_commit_callbacks, _type="Patient,MedicationRequest"
    )
    manifest = client.get(status_path(response)).json()
    assert {o["type"]: o["count"] for o in manifest["output"]} == {
        "Patient": 1,
        "MedicationRequest": 2,
    }
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    response = kick_off(client, path, django_capture_on_commit_callbacks, _since=later)
    assert client.get(status_path(response)).json()["output"] == []


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({"_type": "Patient,Basic"}, ASYNC),
        ({"_since": "yesterday"}, ASYNC),
        ({"_typeFilter": "Patient?x=1"}, ASYNC),
        ({"_outputFormat": "text/csv"}, ASYNC),
        ({}, {}),  # no Prefer: respond-async
    ],
)
def test_bad_kick_off_is_400_operation_outcome(api, admin_user, params, headers):
    response = api(admin_user).get("/fhir/R4/Patient/$export", params, **headers)
    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    validate(body)
    assert not ExportJob.objects.exists()


def test_forbidden_paths(
    api,
    nurse,
    physician,
    admin_user,
    make_user,
    other_unit,
    stay,
    django_capture_on_commit_callbacks,
):
    for clinician in (nurse, physician):
        assert api(clinician).get("/fhir/R4/Patient/$export", **ASYNC).status_code == 403
    other = f"/fhir/R4/Group/{other_unit.public_id}/$export"
    assert api(admin_user).get(other, **ASYNC).status_code == 404
    assert api().get("/fhir/R4/Patient/$export", **ASYNC).status_code == 401
    client = api(admin_user)
    response = kick_off(client, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks)
    manifest = client.get(status_path(response)).json()
    file_url = manifest["output"][0]["url"].split("testserver", 1)[1]
    assert api().get(file_url).status_code == 401
    assert api(nurse).get(file_url).status_code == 403
    another_admin = make_user("admin2", "admin", stay.admission.unit)
    assert api(another_admin).get(file_url).status_code == 404
    assert api(another_admin).get(status_path(response)).status_code == 404
    assert client.get(file_url.replace(".ndjson", "x.ndjson")).status_code == 404
    for bad in ("/fhir/R4/$export-status/1", "/fhir/R4/$export-file/1/Patient.ndjson"):
        assert client.get(bad).status_code == 404
    assert client.get("/fhir/R4/Group/1/$export", **ASYNC).status_code == 404


def test_status_while_running_and_cancel(api, admin_user, stay):
    client = api(admin_user)
    # Not run yet: the kick-off's task waits for the commit, which this test never reaches.
    response = client.get("/fhir/R4/Patient/$export", **ASYNC)
    job = ExportJob.objects.get()
    status = client.get(status_path(response))
    assert status.status_code == 202 and status["X-Progress"] == "queued"
    assert client.delete(status_path(response)).status_code == 202
    assert client.get(status_path(response)).status_code == 404
    export.run_export(job.pk)  # a late delivery of the task does nothing
    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED and job.output == []
    assert not services.export_dir(job).exists()
    assert AuditEvent.objects.filter(action="fhir.export_cancelled").exists()


def test_cancel_stops_a_running_export_between_chunks(admin_user, unit, stay, monkeypatch):
    job = ExportJob.objects.create(requested_by=admin_user, unit_ids=[unit.pk], types=[])

    def cancelled(job, progress):
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.CANCELLED)
        return False

    monkeypatch.setattr(export, "_still_running", cancelled)
    export.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED
    assert not services.export_dir(job).exists()


def test_files_removed_after_retention(
    api, admin_user, stay, settings, django_capture_on_commit_callbacks
):
    client = api(admin_user)
    response = kick_off(client, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert job.expires_at == job.finished_at + dt.timedelta(
        hours=settings.FHIR_EXPORT_RETENTION_HOURS
    )
    folder = services.export_dir(job)
    assert any(folder.iterdir())
    assert services.exports_purge(now=job.expires_at + dt.timedelta(seconds=1)) == 1
    assert not folder.exists()
    assert client.get(status_path(response)).status_code == 404
