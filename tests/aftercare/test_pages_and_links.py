"""Patient page panel, discharge page, stay page, follow-ups, the patient's expiring link,
and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftercare import services
from aftercare.models import DischargeRecord, FollowUpAppointment, PatientLink
from cnt_detox.core.models import AuditEvent
from tests.aftercare.conftest import active
from tests.conftest import PASSWORD
from tests.factories import make_admission

pytestmark = pytest.mark.django_db


def test_patient_page_shows_the_panel_with_links(unit, nurse, physician, client):
    admission = make_admission(unit, by=nurse)
    active(admission, physician)
    client.force_login(nurse)
    page = client.get(f"/patients/{admission.public_id}/").content.decode()
    assert 'id="discharge-panel"' in page
    assert "Blocks discharge" in page and "above 20 mg/day" in page
    assert f"/tapering/admissions/{admission.public_id}" in page
    assert f"/aftercare/admissions/{admission.public_id}/discharge/" in page


def test_patient_page_query_count_is_fixed(unit, nurse, physician, client):
    admission = make_admission(unit, by=nurse)
    active(admission, physician)
    client.force_login(nurse)
    client.get(f"/patients/{admission.public_id}/")
    with CaptureQueriesContext(connection) as before:
        client.get(f"/patients/{admission.public_id}/")
    for n in range(5):
        services.follow_up_create(
            actor=nurse,
            admission=admission,
            scheduled_at=timezone.now() + dt.timedelta(days=n + 1),
            with_whom="Clinic",
            mode="in_person",
        )
    with CaptureQueriesContext(connection) as after:
        client.get(f"/patients/{admission.public_id}/")
    assert len(after) == len(before)


def test_discharge_page_flow_for_physician_with_override(unit, nurse, physician, client):
    admission = make_admission(unit, by=nurse)
    active(admission, physician)
    client.force_login(physician)
    url = f"/aftercare/admissions/{admission.public_id}/discharge/"
    page = client.get(url)
    assert page.status_code == 200 and b"override_category" in page.content
    when = timezone.now().astimezone(unit.tz).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(url, {"discharged_at": when, "reason": "Leaving"})
    assert refused.status_code == 400
    assert b"choose why the patient leaves anyway" in refused.content
    ok = client.post(
        url,
        {
            "discharged_at": when,
            "reason": "Leaving",
            "override_category": "against_medical_advice",
            "override_reason": "Insists on leaving tonight",
            "acknowledge_warnings": "on",
        },
    )
    assert ok.status_code == 302, ok.content.decode()[:2000]
    record = DischargeRecord.objects.get(admission=admission)
    assert record.override_category == "against_medical_advice"


def test_admin_gets_403_on_pages(unit, nurse, admin_user, client):
    admission = make_admission(unit, by=nurse)
    client.force_login(admin_user)
    for path in (
        f"/aftercare/admissions/{admission.public_id}/",
        f"/aftercare/admissions/{admission.public_id}/discharge/",
        "/aftercare/follow-ups/",
    ):
        assert client.get(path).status_code == 403, path


def test_stay_and_aftercare_pages(unit, nurse, client, groups):
    admission = make_admission(unit, by=nurse)
    client.force_login(nurse)
    assert client.get(f"/aftercare/admissions/{admission.public_id}/").status_code == 200
    url = f"/aftercare/admissions/{admission.public_id}/aftercare/"
    assert b"SMART Recovery" in client.get(url).content
    bad = client.post(url, {"level_of_care": "", "expected_version": 0})
    assert bad.status_code == 400
    ok = client.post(
        url,
        {
            "expected_version": 0,
            "level_of_care": "outpatient",
            "level_reason": "Stable at home",
            "support_groups": [str(groups[0].pk)],
            "ref_0_kind": "cbt",
            "ref_0_provider": "Riverside",
            "ref_0_first_appointment": "2027-01-05T10:00",
            "triggers": "Payday",
        },
    )
    assert ok.status_code == 302
    page = client.get(f"/aftercare/admissions/{admission.public_id}/").content.decode()
    assert "Version 1" in page and "Riverside" in page


def test_follow_up_add_record_and_double_submit(unit, nurse, client):
    admission = make_admission(unit, by=nurse)
    client.force_login(nurse)
    when = (timezone.now() + dt.timedelta(days=3)).astimezone(unit.tz).strftime("%Y-%m-%dT%H:%M")
    base = f"/aftercare/admissions/{admission.public_id}"
    assert client.post(f"{base}/follow-ups/", {"with_whom": ""}).status_code == 400
    created = client.post(
        f"{base}/follow-ups/", {"scheduled_at": when, "with_whom": "Dr Lee", "mode": "telehealth"}
    )
    assert created.status_code == 302
    follow_up = FollowUpAppointment.objects.get()
    outcome = {
        "follow_up": follow_up.public_id,
        "status": "attended",
        "adherence": "partly",
        "ciwa_b_total": "6",
    }
    client.post(f"{base}/follow-ups/outcome/", outcome)
    follow_up.refresh_from_db()
    assert follow_up.status == "attended" and follow_up.ciwa_b_total == 6
    client.post(f"{base}/follow-ups/outcome/", {**outcome, "status": "missed"})
    follow_up.refresh_from_db()
    assert follow_up.status == "attended"


def test_follow_up_list_query_count(unit, nurse, client):
    client.force_login(nurse)

    def add(n):
        for _ in range(n):
            admission = make_admission(unit, by=nurse)
            services.follow_up_create(
                actor=nurse,
                admission=admission,
                scheduled_at=timezone.now() + dt.timedelta(days=1),
                with_whom="Clinic",
                mode="in_person",
            )

    add(1)
    client.get("/aftercare/follow-ups/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/aftercare/follow-ups/").status_code == 200
    add(3)
    with CaptureQueriesContext(connection) as four:
        page = client.get("/aftercare/follow-ups/")
    assert page.content.decode().count("Clinic") == 4
    assert len(four) == len(one)


def _signed_stay(unit, nurse, physician):
    admission = make_admission(unit, by=nurse, substances=(("diazepam", "20"),))
    active(
        admission,
        physician,
        agents=[{"agent": "diazepam", "daily_dose_mg": "20"}],
        strategy="outpatient",
    )
    services.summary_sign(actor=physician, admission=admission, password=PASSWORD)
    return admission


def test_patient_link_shows_the_copy_then_nothing_after_expiry(unit, nurse, physician, client):
    admission = _signed_stay(unit, nurse, physician)
    link, token = services.patient_link_create(actor=nurse, admission=admission)
    assert PatientLink.objects.get().token_hash != token  # only the hash is stored
    public = client.get(f"/my-plan/{token}/")
    text = public.content.decode()
    assert public.status_code == 200
    assert admission.patient.full_name in text
    assert "Morning" in text and "Evening" in text
    assert "QID" not in text and "PRN" not in text
    assert "seizure" in text
    assert public["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="patient_link.opened").count() == 1

    PatientLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = client.get(f"/my-plan/{token}/")
    assert expired.status_code == 404
    gone = expired.content.decode()
    assert admission.patient.full_name not in gone and "mg" not in gone


def test_revoked_and_wrong_links_show_nothing(unit, nurse, physician, client):
    admission = _signed_stay(unit, nurse, physician)
    link, token = services.patient_link_create(actor=nurse, admission=admission)
    services.patient_link_revoke(actor=nurse, link=link)
    assert client.get(f"/my-plan/{token}/").status_code == 404
    assert client.get("/my-plan/not-a-token/").status_code == 404


def test_link_expiry_follows_the_setting(unit, nurse, physician, settings):
    settings.AFTERCARE_PATIENT_LINK_HOURS = 5
    admission = _signed_stay(unit, nurse, physician)
    link, _ = services.patient_link_create(actor=nurse, admission=admission)
    hours = (link.expires_at - link.created_at).total_seconds() / 3600
    assert hours == 5


def test_no_link_without_a_signed_summary(unit, nurse, client, api):
    admission = make_admission(unit, by=nurse)
    response = api(nurse).post(f"/api/v1/admissions/{admission.public_id}/patient-links/")
    assert response.status_code == 400
    assert not PatientLink.objects.exists()


def test_link_via_api_and_page(unit, nurse, physician, client, api):
    admission = _signed_stay(unit, nurse, physician)
    data = api(nurse).post(f"/api/v1/admissions/{admission.public_id}/patient-links/").json()
    assert "/my-plan/" in data["url"]
    client.force_login(nurse)
    page = client.post(f"/aftercare/admissions/{admission.public_id}/patient-links/")
    assert page.status_code == 200 and b"/my-plan/" in page.content
