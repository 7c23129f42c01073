"""The benchmark's baseline views: absent in normal runs, and the floor writes both rows."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory
from django.urls import Resolver404, resolve

from assessments.models import Assessment
from bench import views
from cnt_detox.core.models import AuditEvent
from tests.factories import make_admission


def test_bench_urls_do_not_exist_in_normal_runs(client, settings):
    assert settings.BENCH_VIEWS is False
    for path in ("/bench/noop", "/bench/floor"):
        with pytest.raises(Resolver404):
            resolve(path)
        assert client.get(path).status_code == 404


def test_noop_answers_ok():
    response = views.noop(RequestFactory().get("/bench/noop"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_floor_writes_assessment_and_audit_rows_in_one_go(unit, bed, nurse):
    admission = make_admission(unit, bed)
    body = {
        "admission_id": admission.pk,
        "user_id": nurse.pk,
        "username": nurse.username,
        "patient_public_id": str(admission.patient.public_id),
    }
    request = RequestFactory().post("/bench/floor", json.dumps(body), "application/json")
    response = views.floor(request)
    assert response.status_code == 201
    created = Assessment.objects.get(public_id=json.loads(response.content)["id"])
    assert created.total == 12 and created.band == "mild" and created.admission == admission
    audit = AuditEvent.objects.get(object_id=str(created.public_id))
    assert audit.action == "assessment.created" and audit.actor == nurse


@pytest.mark.django_db
def test_floor_rejects_a_bad_body():
    request = RequestFactory().post("/bench/floor", "{}", "application/json")
    assert views.floor(request).status_code == 400
