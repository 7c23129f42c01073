"""Issue 18.1: an admin reads the audit log of their own units only; no MRN oracle."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from cnt_detox.core import audit
from cnt_detox.core.models import AuditEvent
from cnt_detox.core.roles import Role
from patients.models import EmergencyAccess
from tests.factories import make_admission

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_units(unit, other_unit, nurse, other_nurse):
    mine = make_admission(unit, by=nurse)
    theirs = make_admission(other_unit, by=other_nurse)
    audit.record(actor=nurse, action="patient.viewed", obj=mine, patient=mine.patient)
    audit.record(
        actor=other_nurse,
        action="patient.viewed",
        obj=theirs,
        patient=theirs.patient,
        details={"name": theirs.patient.last_name},
    )
    audit.record(actor=other_nurse, action="auth.logged_in")
    return mine, theirs


def export(client, **data):
    response = client.post(reverse("core:audit"), {**data, "export": "1"})
    if response.status_code != 200 or not getattr(response, "streaming", False):
        return response, []
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    # Event rows only: the shared writer's footer (notice, digest) has no row hash.
    return response, [r for r in csv.DictReader(io.StringIO(text)) if r.get("row_hash")]


def test_admin_exports_only_their_units_events(client, admin_user, two_units, other_nurse):
    mine, theirs = two_units
    client.force_login(admin_user)
    _, rows = export(client)
    assert rows, "the admin's own unit events are exported"
    assert all(r["actor"] != other_nurse.username for r in rows)
    assert all(r["patient_id"] != str(theirs.patient.public_id) for r in rows)
    assert any(r["patient_id"] == str(mine.patient.public_id) for r in rows)
    page = client.post(reverse("core:audit"), {}).content.decode()
    assert theirs.patient.last_name not in page and theirs.patient.mrn not in page


def test_mrn_filter_of_another_unit_answers_like_an_unknown_mrn(client, admin_user, two_units):
    _, theirs = two_units
    client.force_login(admin_user)
    other = client.post(reverse("core:audit"), {"mrn": theirs.patient.mrn})
    unknown = client.post(reverse("core:audit"), {"mrn": "NO-SUCH-MRN"})
    assert other.status_code == unknown.status_code == 400
    assert b"No patient of your units has that MRN." in other.content
    response, rows = export(client, mrn=theirs.patient.mrn)
    assert rows == [] and theirs.patient.last_name.encode() not in response.content


def test_events_by_the_admins_staff_about_other_units_are_shown(
    client, admin_user, nurse, other_unit, other_nurse
):
    """A unit-A nurse's break-the-glass into unit B is A's admin's to review."""
    theirs = make_admission(other_unit, by=other_nurse)
    audit.record(actor=nurse, action="patient.viewed", obj=theirs, patient=theirs.patient)
    client.force_login(admin_user)
    _, rows = export(client)
    assert any(r["actor"] == nurse.username and r["action"] == "patient.viewed" for r in rows)


def test_facility_wide_auditor_is_an_explicit_permission(client, make_user, unit, two_units):
    _, theirs = two_units
    auditor = make_user("auditor", Role.ADMIN, unit)
    client.force_login(auditor)
    _, rows = export(client, mrn=theirs.patient.mrn)
    assert rows == []
    assert not any(
        g.permissions.filter(codename="view_facility_audit_log").exists()
        for g in auditor.groups.all()
    ), "no role group carries the facility-wide permission"
    auditor.user_permissions.add(Permission.objects.get(codename="view_facility_audit_log"))
    client.force_login(type(auditor).objects.get(pk=auditor.pk))
    _, rows = export(client, mrn=theirs.patient.mrn)
    assert {r["patient_id"] for r in rows} == {str(theirs.patient.public_id)}


def test_emergency_reviews_are_scoped_to_the_admins_units(
    client, admin_user, make_user, other_unit, other_physician, unit, nurse
):
    mine = make_admission(unit, by=nurse)
    other_admin = make_user("admin2", Role.ADMIN, other_unit)
    client.force_login(other_physician)
    client.post(
        reverse("patients:emergency"), {"mrn": mine.patient.mrn, "reason": "collapsed, need doses"}
    )
    grant = EmergencyAccess.objects.get()
    # Unit 1's admin reviews (the grant is into their unit); a third unit's admin cannot.
    third = make_user("admin3", Role.ADMIN)
    client.force_login(third)
    assert mine.patient.mrn.encode() not in client.get(reverse("patients:emergency-review")).content
    url = reverse("patients:emergency-mark-reviewed", args=[grant.public_id])
    assert client.post(url, {"note": "x"}).status_code == 404
    client.force_login(admin_user)
    assert mine.patient.mrn.encode() in client.get(reverse("patients:emergency-review")).content
    assert client.post(url, {"note": "ok"}).status_code == 302
    # And unit 2's admin sees it too: the grant was made by their physician.
    client.force_login(other_admin)
    assert mine.patient.mrn.encode() in client.get(reverse("patients:emergency-review")).content
    assert AuditEvent.objects.filter(action="emergency_access.reviewed").count() == 1
