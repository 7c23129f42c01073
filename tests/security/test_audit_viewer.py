"""Audit viewer (admins), CSV export (audited), "who viewed this patient" (physicians)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cnt_detox.core import audit
from cnt_detox.core.csv_export import REDISCLOSURE_NOTICE, verify_csv
from cnt_detox.core.models import AuditEvent
from patients.models import EmergencyAccess
from patients.viewers import viewers_of_patient
from tests.factories import make_admission

pytestmark = pytest.mark.django_db


@pytest.fixture
def admission(unit, nurse):
    return make_admission(unit, by=nurse)


@pytest.fixture
def events(nurse, physician, admission):
    audit.record(actor=nurse, action="patient.viewed", obj=admission, patient=admission.patient)
    audit.record(actor=physician, action="patient.viewed", obj=admission, patient=admission.patient)
    audit.record(actor=physician, action="taper_plan.signed", details={"note": "=HYPERLINK(1)"})
    return AuditEvent.objects.all()


def test_only_admins_open_the_audit_log(client, nurse, physician, admin_user, events):
    for user in (nurse, physician):
        client.force_login(user)
        assert client.get(reverse("core:audit")).status_code == 403
    client.force_login(admin_user)
    response = client.get(reverse("core:audit"))
    assert response.status_code == 200
    assert b"taper_plan.signed" in response.content and b"patient.viewed" in response.content


OLD_VIEW, OLD_REFRESH = "admission" + ".view", "report.board" + ".refresh"


def test_action_filter_finds_rows_under_their_old_and_new_names(
    client, admin_user, nurse, admission, monkeypatch
):
    """Sealed rows keep the names they were written with (issue 17 renamed them)."""
    with monkeypatch.context() as m:
        m.setattr(audit, "is_known", lambda action: True)
        # Rows as written before the rename ("admission.view", "report.board.refresh").
        audit.record(actor=nurse, action=OLD_VIEW, obj=admission, patient=admission.patient)
        audit.record(actor=nurse, action=OLD_REFRESH)
        audit.record(actor=nurse, action="admin.unit.change")
    audit.record(actor=nurse, action="admission.viewed", obj=admission, patient=admission.patient)
    audit.record(actor=nurse, action="board.refreshed")
    audit.record(actor=nurse, action="admin.unit.changed")
    client.force_login(admin_user)

    def shown(action):
        html = client.post(reverse("core:audit"), {"action": action}).content.decode()
        return html.count("<tr>") - 1

    assert shown("admission.viewed") == 2
    assert shown(OLD_VIEW) == 2  # the old name typed finds the new rows too
    assert shown("admission") == 2
    assert shown("board.refreshed") == 2
    assert shown("board") == 2
    assert shown(OLD_REFRESH) == 2
    assert shown("admin.unit.changed") == 2
    assert shown("admin.unit.change") == 2


def test_filters_by_user_patient_action_and_time(client, admin_user, events, admission):
    client.force_login(admin_user)
    url = reverse("core:audit")

    def shown(**data):
        html = client.post(url, data).content.decode()
        return html.count("<tr>") - 1  # minus the header row

    assert shown(username="doc1") == 2
    assert shown(mrn=admission.patient.mrn) == 2
    assert shown(action="taper_plan") == 1
    today = timezone.now().date()
    assert shown(since=today.isoformat(), until=today.isoformat()) == 3
    assert shown(until=(today - dt.timedelta(days=1)).isoformat()) == 1  # "No events" row
    bad = client.post(url, {"mrn": "no-such-mrn"})
    assert bad.status_code == 400 and b"No patient of your units has that MRN" in bad.content
    backwards = client.post(url, {"since": "2026-02-02", "until": "2026-01-01"})
    assert backwards.status_code == 400


def test_csv_export_is_audited_and_formula_safe(client, admin_user, events, admission):
    client.force_login(admin_user)
    response = client.post(reverse("core:audit"), {"export": "csv", "username": "doc1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    data = b"".join(response.streaming_content)
    # The same writer as the report exports: BOM, Part 2 notice, a SHA-256 line that checks.
    assert verify_csv(data) and REDISCLOSURE_NOTICE.encode() in data
    text = data.decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r.get("row_hash")]
    assert {r["action"] for r in rows} == {"patient.viewed", "taper_plan.signed"}
    viewed = next(r for r in rows if r["action"] == "patient.viewed")
    assert viewed["patient_mrn"] == admission.patient.mrn
    signed = next(r for r in rows if r["action"] == "taper_plan.signed")
    assert json.loads(signed["details"]) == {"note": "=HYPERLINK(1)"}  # JSON, not a formula
    export = AuditEvent.objects.get(action="audit.exported")
    assert export.actor == admin_user and export.details["username"] == "doc1"
    assert export.details["rows"] == 2 and export.details["completed"] is True


def test_formula_cells_are_neutralised():
    from cnt_detox.core.csv_export import escape_cell

    assert escape_cell("=cmd()") == "'=cmd()"
    assert escape_cell("@SUM(1)") == "'@SUM(1)"
    assert escape_cell("nurse1") == "nurse1"


def test_audit_page_query_count_does_not_grow_with_rows(client, admin_user, nurse, admission):
    client.force_login(admin_user)

    def count(n):
        for _ in range(n):
            audit.record(actor=nurse, action="patient.viewed", patient=admission.patient)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("core:audit")).status_code == 200
        return len(ctx.captured_queries)

    assert count(3) == count(30)


def test_patient_filter_keeps_the_mrn_out_of_the_url(client, admin_user, events):
    client.force_login(admin_user)
    html = client.get(reverse("core:audit")).content.decode()
    assert 'method="post"' in html


def test_viewers_of_patient_for_the_patients_physician(
    physician, nurse, other_physician, admission, events
):
    viewers = viewers_of_patient(physician, admission.patient)
    assert {v.username for v in viewers} == {"nurse1", "doc1"}
    assert all(v.accesses == 1 for v in viewers)
    html = render_to_string("core/_patient_viewers.html", {"patient_viewers": viewers})
    assert "Nurse1 Test" in html and "Who opened this record" in html
    with pytest.raises(PermissionDenied):
        viewers_of_patient(nurse, admission.patient)
    with pytest.raises(Http404):
        viewers_of_patient(other_physician, admission.patient)


def test_viewers_flag_emergency_access(physician, other_physician, admission):
    EmergencyAccess.objects.create(
        user=other_physician,
        admission=admission,
        reason="collapsed on the stairs",
        expires_at=timezone.now() + dt.timedelta(minutes=60),
    )
    audit.record(actor=other_physician, action="patient.viewed", patient=admission.patient)
    viewers = viewers_of_patient(physician, admission.patient)
    assert [v.emergency for v in viewers] == [True]
    html = render_to_string("core/_patient_viewers.html", {"patient_viewers": viewers})
    assert "emergency access" in html


def test_viewers_query_count_is_constant(physician, nurse, admission):
    def count(n):
        for _ in range(n):
            audit.record(actor=nurse, action="patient.viewed", patient=admission.patient)
        with CaptureQueriesContext(connection) as ctx:
            viewers_of_patient(physician, admission.patient)
        return len(ctx.captured_queries)

    assert count(2) == count(20)
