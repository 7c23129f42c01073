"""The rows that follow an assessment INSERT go in one statement on PostgreSQL
(assessments.writes): they must be exactly the rows the separate INSERTs wrote, the audit
row's MAC intact and the chain verifiable."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import writes
from assessments.models import Assessment, AssessmentFlag, Escalation, ReassessmentSchedule
from cnt_detox.core import audit
from cnt_detox.core.models import AuditEvent
from tests.factories import make_admission, make_assessment

pytestmark = pytest.mark.django_db

_IDS = {"id", "public_id", "admission_id", "assessment_id", "based_on_id", "idempotency_key"}
_AUDIT_IDS = _IDS | {"occurred_at", "object_id", "patient_public_id", "row_mac"}


def _rows(model: Any, exclude: set[str], **where: Any) -> list[dict[str, Any]]:
    rows = model.objects.filter(**where).order_by("id").values()
    return [{k: v for k, v in row.items() if k not in exclude} for row in rows]


def _saved(api: Any, nurse: Any, payload: Any, admission: Any) -> tuple[Any, list[str]]:
    body = payload(45, admission=str(admission.public_id), observations={"seizure": True})
    with CaptureQueriesContext(connection) as queries:
        response = api(nurse).post(
            "/api/v1/assessments/",
            body,
            format="json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    assert response.status_code == 201, response.content
    saved = Assessment.objects.get(public_id=response.json()["id"])
    return saved, [q["sql"] for q in queries]


def _everything(saved: Assessment) -> dict[str, Any]:
    event = AuditEvent.objects.get(action="assessment.created", object_id=str(saved.public_id))
    assert event.row_mac == audit.row_mac(event)  # written with the MAC of what is stored
    return {
        "flags": _rows(AssessmentFlag, _IDS, assessment=saved),
        "schedule": _rows(ReassessmentSchedule, _IDS, admission=saved.admission_id),
        "escalations": _rows(Escalation, _IDS, assessment=saved),
        "audit": _rows(AuditEvent, _AUDIT_IDS, pk=event.pk),
    }


def test_one_statement_writes_the_rows_the_separate_inserts_wrote(
    api, nurse, unit, payload, monkeypatch
):
    fixed = timezone.now().replace(microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    together, apart = make_admission(unit, by=nurse), make_admission(unit, by=nurse)
    for admission in (together, apart):
        make_assessment(admission, by=nurse, total=5, assessed_at=fixed - dt.timedelta(hours=1))

    first, sql = _saved(api, nurse, payload, together)
    monkeypatch.setattr(writes, "_one_statement", lambda using: False)
    second, _ = _saved(api, nurse, payload, apart)

    if connection.vendor == "postgresql":
        assert sum(s.startswith("WITH w0 AS (INSERT") for s in sql) == 1
        assert not any(s.startswith('INSERT INTO "core_auditevent"') for s in sql)
    got, expected = _everything(first), _everything(second)
    assert got["flags"] and got["schedule"] and got["escalations"]  # every part was written
    assert got == expected
    # Primary keys handed back as bulk_create does: the escalation's goes to the worker.
    assert Escalation.objects.get(assessment=first).reasons == expected["escalations"][0]["reasons"]
    audit.seal_pending()
    call_command("verify_audit")


def test_a_late_entry_writes_no_schedule_row_in_the_statement(api, nurse, unit, payload):
    admission = make_admission(unit, by=nurse)
    now = timezone.now()
    make_assessment(admission, by=nurse, total=5, assessed_at=now - dt.timedelta(minutes=5))
    before = _rows(ReassessmentSchedule, set(), admission=admission)
    body = payload(
        12,
        admission=str(admission.public_id),
        assessed_at=(now - dt.timedelta(hours=2)).isoformat(),
    )
    response = api(nurse).post("/api/v1/assessments/", body, format="json")
    assert response.status_code == 201
    assert _rows(ReassessmentSchedule, set(), admission=admission) == before
    saved = Assessment.objects.get(public_id=response.json()["id"])
    assert AuditEvent.objects.filter(object_id=str(saved.public_id)).count() == 1
