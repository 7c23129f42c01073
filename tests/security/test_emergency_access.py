"""Break the glass: a reason opens another unit's admission for 60 minutes, audited, reviewed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cnt_detox.core.models import AuditEvent
from patients.models import EmergencyAccess
from patients.selectors import admission_for_user, admissions_for_user
from tests.factories import make_admission

pytestmark = pytest.mark.django_db
REASON = "Patient collapsed in the corridor; need current doses"


@pytest.fixture
def admission(unit, nurse):
    return make_admission(unit, by=nurse)


def ask(client, mrn, reason=REASON):
    return client.post(reverse("patients:emergency"), {"mrn": mrn, "reason": reason})


def test_grant_opens_the_admission_for_60_minutes_and_is_audited(
    client, other_physician, admission
):
    with pytest.raises(Http404):
        admission_for_user(other_physician, admission.public_id)
    client.force_login(other_physician)
    response = ask(client, admission.patient.mrn)
    assert response.status_code == 302
    grant = EmergencyAccess.objects.get(user=other_physician)
    assert grant.admission == admission
    assert (
        dt.timedelta(minutes=59) < grant.expires_at - grant.granted_at <= dt.timedelta(minutes=60)
    )
    assert admission_for_user(other_physician, admission.public_id) == admission
    assert set(admissions_for_user(other_physician).values_list("pk", flat=True)) == {admission.pk}
    event = AuditEvent.objects.get(action="emergency_access.granted")
    assert event.actor == other_physician
    assert event.patient_public_id == admission.patient.public_id
    assert event.details["reason"] == REASON
    page = client.get(reverse("patients:emergency"))
    assert admission.patient.mrn.encode() in page.content

    # After the hour the door shuts again.
    EmergencyAccess.objects.filter(pk=grant.pk).update(expires_at=timezone.now())
    with pytest.raises(Http404):
        admission_for_user(other_physician, admission.public_id)
    assert not admissions_for_user(other_physician).exists()


def test_grant_is_per_user(client, other_physician, other_nurse, admission):
    client.force_login(other_physician)
    ask(client, admission.patient.mrn)
    assert not admissions_for_user(other_nurse).filter(pk=admission.pk).exists()


@pytest.mark.parametrize(
    ("mrn", "reason", "field"),
    [("", REASON, b"MRN"), ("MRN-none", REASON, b"No admission"), (None, "because", b"reason")],
)
def test_bad_requests_show_form_errors_and_grant_nothing(
    client, other_nurse, admission, mrn, reason, field
):
    client.force_login(other_nurse)
    response = ask(client, admission.patient.mrn if mrn is None else mrn, reason)
    assert response.status_code == 400
    assert field.lower() in response.content.lower()
    assert not EmergencyAccess.objects.exists()


def test_own_unit_patient_needs_no_emergency_access(client, nurse, admission):
    client.force_login(nurse)
    response = ask(client, admission.patient.mrn)
    assert response.status_code == 400 and b"your units" in response.content
    assert not EmergencyAccess.objects.exists()


def test_admins_cannot_break_the_glass(client, admin_user, admission):
    client.force_login(admin_user)
    assert ask(client, admission.patient.mrn).status_code == 403


def test_admin_reviews_grants(client, other_physician, admin_user, nurse, admission):
    client.force_login(other_physician)
    ask(client, admission.patient.mrn)
    grant = EmergencyAccess.objects.get()
    client.force_login(nurse)
    assert client.get(reverse("patients:emergency-review")).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("patients:emergency-review"))
    assert page.status_code == 200 and REASON.encode() in page.content
    url = reverse("patients:emergency-mark-reviewed", args=[grant.public_id])
    assert client.post(url, {"note": "Checked with the ward"}).status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == admin_user and grant.review_note == "Checked with the ward"
    assert AuditEvent.objects.filter(action="emergency_access.reviewed").count() == 1
    # Reviewing twice records one review.
    client.post(url, {"note": "again"})
    assert AuditEvent.objects.filter(action="emergency_access.reviewed").count() == 1


def test_hook_adds_no_query_and_keeps_select_related(nurse, unit, other_physician, admission):
    EmergencyAccess.objects.create(
        user=other_physician,
        admission=admission,
        reason=REASON,
        expires_at=timezone.now() + dt.timedelta(minutes=60),
    )
    for user in (nurse, other_physician):
        with CaptureQueriesContext(connection) as ctx:
            rows = list(admissions_for_user(user))
            names = [(a.patient.last_name, a.unit.name, a.bed.label) for a in rows]
        assert len(ctx.captured_queries) == 1
        assert len(names) == 1
