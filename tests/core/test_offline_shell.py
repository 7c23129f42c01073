"""The bedside app shell's server side (issue 14): worker script, manifest, state, queue page,
and the marks the page script reads."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from cnt_detox.core.offline import offline_user_key

pytestmark = pytest.mark.django_db


def test_service_worker_is_served_from_the_root_with_its_settings(client, settings):
    settings.OFFLINE_PAGE_MAX_AGE_HOURS = 6
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    first_line = body.splitlines()[0]
    config = json.loads(first_line.removeprefix("self.CNT_SW = ").rstrip(";"))
    assert config["pageMaxAgeSeconds"] == 6 * 3600
    assert config["queueUrl"] == reverse("offline-queue")
    assert any("/assessments/admissions/" in p for p in config["queuedPosts"])
    assert "root.CNTOffline" in body and 'addEventListener("fetch"' in body


def test_manifest_names_the_app_and_its_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["start_url"] == "/" and data["display"] == "standalone"
    assert {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}


def test_state_needs_a_session_and_names_the_user_without_the_id(client, nurse):
    assert client.get("/offline/state/").status_code == 401
    client.force_login(nurse)
    data = client.get("/offline/state/", HTTP_X_BACKGROUND_POLL="1").json()
    assert data["authenticated"] is True and data["csrf"]
    assert data["user"] == offline_user_key(nurse)
    assert str(nurse.pk) != data["user"] and nurse.username not in data["user"]


def test_other_users_get_other_keys(nurse, physician):
    assert offline_user_key(nurse) != offline_user_key(physician)


def test_pages_carry_the_marks_the_page_script_reads(client, nurse):
    client.force_login(nurse)
    page = client.get(reverse("offline-queue")).content.decode()
    assert f'data-offline-user="{offline_user_key(nurse)}"' in page
    assert 'id="offline-banner"' in page and 'class="queue-indicator"' in page
    assert 'rel="manifest"' in page and "js/offline.js" in page
    assert "<noscript>" in page  # the queue needs JavaScript; the page says what happens without
    login = client.get(reverse("login"))
    assert login.status_code in (200, 302)


def test_anonymous_pages_name_no_user(client):
    page = client.get(reverse("login")).content.decode()
    assert 'data-offline-user=""' in page


def test_board_names_the_pages_to_keep_for_each_patient(client, nurse, unit):
    from tests.factories import make_admission

    admission = make_admission(unit, by=nurse)
    client.force_login(nurse)
    page = client.get(reverse("reports:board")).content.decode()
    expected = (
        f'data-offline-pages="/assessments/admissions/{admission.public_id}/new/ '
        f'/tapering/admissions/{admission.public_id}/today/"'
    )
    assert expected in page


def test_dose_forms_carry_a_key_each(client, nurse, unit, physician, monkeypatch):
    from django.utils import timezone

    from tapering import services
    from tests.conftest import PASSWORD
    from tests.factories import make_admission

    # 06:00 on the unit's clock, so every dose time of today is still ahead whenever the suite
    # runs (signed in the evening, today would hold only the last dose).
    early = dt.datetime.combine(unit.local_now().date(), dt.time(6), tzinfo=unit.tz)
    monkeypatch.setattr(timezone, "now", lambda: early.astimezone(dt.UTC))
    admission = make_admission(unit, by=nurse)
    data = {
        "agents": [{"agent": "diazepam", "daily_dose_mg": "20"}],
        "target_agent": "diazepam",
        "start_date": unit.local_now().date().isoformat(),
    }
    plan = services.plan_create_draft(admission=admission, actor=physician, data=data)
    services.plan_sign(plan=plan, actor=physician, password=PASSWORD, expected_version=1)
    client.force_login(nurse)
    page = client.get(reverse("tapering:today", args=[admission.public_id])).content.decode()
    keys = [line for line in page.splitlines() if 'name="idempotency_key"' in line]
    assert len(keys) >= 2 and len(set(keys)) == len(keys)


def test_pages_saved_for_offline_use_are_audited_as_such(client, nurse, unit):
    from cnt_detox.core.models import AuditEvent
    from tests.factories import make_admission

    admission = make_admission(unit, by=nurse)
    client.force_login(nurse)
    headers = {"HTTP_X_OFFLINE_PRECACHE": "1", "HTTP_X_BACKGROUND_POLL": "1"}
    client.get(reverse("assessments:new", args=[admission.public_id]), **headers)
    client.get(reverse("tapering:today", args=[admission.public_id]), **headers)
    client.get(reverse("assessments:new", args=[admission.public_id]))
    actions = list(
        AuditEvent.objects.filter(patient_public_id=admission.patient.public_id)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-3:] == [
        "assessment.form_saved_offline",
        "doses.saved_offline",
        "assessment.form_viewed",
    ]
