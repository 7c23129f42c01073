"""The demo data (make seed) exported as FHIR validates, stay by stay and in bulk."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from cnt_detox.core.models import User
from cnt_detox.core.roles import Role
from fhir_r4 import export
from fhir_r4.models import ExportJob, ExportStatus
from fhir_r4.services import export_dir
from patients.models import Admission
from tests.fhir.conftest import validate

pytestmark = pytest.mark.django_db


def test_demo_stays_validate(api, settings, tmp_path):
    settings.FHIR_EXPORT_DIR = tmp_path
    call_command("seed_demo", "--password", "demo-password-for-tests-1")
    nurse = User.objects.filter(role=Role.NURSE).first()
    admissions = list(Admission.objects.all())
    assert admissions
    client = api(nurse)
    kinds = set()
    for admission in admissions:
        response = client.get(f"/fhir/R4/Encounter/{admission.public_id}/$everything")
        assert response.status_code == 200
        bundle = response.json()
        validate(bundle)
        for entry in bundle["entry"]:
            validate(entry["resource"])
            kinds.add(entry["resource"]["resourceType"])
    assert {"QuestionnaireResponse", "MedicationRequest", "Provenance"} <= kinds
    admin = User.objects.filter(role=Role.ADMIN).first()
    job = ExportJob.objects.create(
        requested_by=admin, unit_ids=[a.unit_id for a in admissions], types=[]
    )
    export.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.COMPLETED
    for item in job.output:
        for line in (export_dir(job) / item["file"]).read_text().splitlines():
            validate(json.loads(line))
