"""Bell, list page, acknowledge (page and API), forbidden paths, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import EscalationStatus
from cnt_detox.core.models import AuditEvent
from notifications.models import Notification, NotificationKind
from notifications.services import escalation_notify, sweep
from tests.factories import make_admission, make_assessment
from tests.notifications.conftest import critical_escalation

pytestmark = pytest.mark.django_db


def remind(unit, nurse, n=1):
    for _ in range(n):
        admission = make_admission(unit, by=nurse)
        make_assessment(admission, by=nurse, next_due_minutes=5)
    sweep()


def test_bell_shows_count_on_every_page_without_js(client, roster, unit, nurse):
    remind(unit, nurse, 2)
    client.force_login(nurse)
    page = client.get(reverse("notifications:list")).content.decode()
    assert 'class="bell has-open"' in page
    assert '<span class="bell-count js-bell-count">2</span>' in page


def test_bell_costs_one_query(rf, roster, unit, nurse):
    from notifications.context_processors import bell

    remind(unit, nurse, 3)
    request = rf.get("/")
    request.user = nurse
    with CaptureQueriesContext(connection) as ctx:
        assert int(str(bell(request)["notification_count"])) == 3
    assert len(ctx.captured_queries) == 1


def test_admin_has_no_bell(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/healthz")
    assert response.status_code == 200
    from notifications.context_processors import bell

    class R:
        user = admin_user

    assert bell(R()) == {}


def test_list_page_query_count_does_not_grow(client, roster, unit, nurse):
    client.force_login(nurse)
    remind(unit, nurse, 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("notifications:list")).status_code == 200
    remind(unit, nurse, 3)
    with CaptureQueriesContext(connection) as four:
        page = client.get(reverse("notifications:list"))
    assert page.content.decode().count("Acknowledge<span") == 4
    assert len(four.captured_queries) == len(one.captured_queries)


def test_acknowledge_from_page(client, roster, unit, nurse):
    remind(unit, nurse)
    n = Notification.objects.get(recipient=nurse)
    client.force_login(nurse)
    response = client.post(reverse("notifications:acknowledge", args=[n.public_id]))
    assert response.status_code == 302
    n.refresh_from_db()
    assert n.acknowledged_by == nurse and n.acknowledged_at
    assert AuditEvent.objects.filter(action="notification.acknowledged").count() == 1
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Nothing waiting" in page and "Acknowledged" in page


def test_acknowledge_needs_post(client, roster, unit, nurse):
    remind(unit, nurse)
    n = Notification.objects.get(recipient=nurse)
    client.force_login(nurse)
    assert client.get(reverse("notifications:acknowledge", args=[n.public_id])).status_code == 405


def test_api_lists_own_notifications(api, roster, unit, nurse, physician):
    remind(unit, nurse)
    body = api(nurse).get("/api/v1/notifications/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert {"id", "kind", "admission", "due_at", "created_at", "acknowledged_at"} <= set(row)
    assert row["kind"] == NotificationKind.ASSESSMENT_DUE
    assert api(physician).get("/api/v1/notifications/").json()["count"] == 0
    assert api(nurse).get("/api/v1/notifications/count/").json() == {"open": 1}


def test_api_acknowledge_and_idempotent_repeat(api, roster, unit, nurse):
    remind(unit, nurse)
    n = Notification.objects.get(recipient=nurse)
    url = f"/api/v1/notifications/{n.public_id}/acknowledge/"
    first = api(nurse).post(url)
    assert first.status_code == 200 and first.json()["acknowledged_at"]
    second = api(nurse).post(url)
    assert second.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    assert AuditEvent.objects.filter(action="notification.acknowledged").count() == 1
    assert api(nurse).get("/api/v1/notifications/?open=1").json()["count"] == 0


def test_someone_elses_notification_is_404(
    api, client, roster, unit, nurse, physician, other_nurse
):
    remind(unit, nurse)
    n = Notification.objects.get(recipient=nurse)
    url = f"/api/v1/notifications/{n.public_id}/acknowledge/"
    assert api(physician).post(url).status_code == 404
    assert api(other_nurse).post(url).status_code == 404
    client.force_login(other_nurse)
    assert client.post(reverse("notifications:acknowledge", args=[n.public_id])).status_code == 404
    assert api(nurse).post("/api/v1/notifications/not-a-uuid/acknowledge/").status_code == 404
    n.refresh_from_db()
    assert n.acknowledged_at is None


def test_admin_role_is_forbidden(api, client, admin_user):
    assert api(admin_user).get("/api/v1/notifications/").status_code == 403
    client.force_login(admin_user)
    assert client.get(reverse("notifications:list")).status_code == 403


def test_anonymous_is_redirected_or_401(api, client):
    assert api().get("/api/v1/notifications/").status_code == 401
    assert client.get(reverse("notifications:list")).status_code == 302


def test_background_poll_does_not_extend_session(client, roster, unit, nurse, settings):
    import time

    from cnt_detox.core.middleware import LAST_ACTIVITY_KEY

    client.force_login(nurse)
    client.get(reverse("notifications:list"))
    session = client.session
    session[LAST_ACTIVITY_KEY] = time.time() - 100
    session.save()
    client.get("/api/v1/notifications/count/", HTTP_X_BACKGROUND_POLL="1")
    assert client.session[LAST_ACTIVITY_KEY] < time.time() - 99


def test_physician_acknowledging_escalation_acknowledges_it(
    api, roster, admission, nurse, physician, django_capture_on_commit_callbacks
):
    escalation = critical_escalation(admission, nurse, at=timezone.now())
    escalation_notify(escalation_id=escalation.pk)
    nurse_copy = Notification.objects.get(recipient=nurse, escalation=escalation)
    # A nurse's acknowledgement is hers only: physicians acknowledge escalations.
    api(nurse).post(f"/api/v1/notifications/{nurse_copy.public_id}/acknowledge/")
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.OPEN
    mine = Notification.objects.get(recipient=physician, escalation=escalation)
    api(physician).post(f"/api/v1/notifications/{mine.public_id}/acknowledge/")
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.ACKNOWLEDGED
    assert escalation.acknowledged_by == physician and escalation.acknowledged_at
    # The chain stops.
    sweep(now=timezone.now() + dt.timedelta(minutes=20))
    assert Notification.objects.filter(escalation=escalation).count() == 2


def test_escalation_steps_include_renders(roster, admission, nurse, physician):
    from django.template.loader import render_to_string

    escalation = critical_escalation(admission, nurse, at=timezone.now())
    escalation_notify(escalation_id=escalation.pk)
    with CaptureQueriesContext(connection) as ctx:
        html = render_to_string("notifications/_escalation_steps.html", {"admission": admission})
    assert "Critical flag" in html and "Step 0: Doc1 Test notified" in html
    assert len(ctx.captured_queries) <= 4


def test_roster_validation(unit, nurse, physician, other_nurse):
    from django.core.exceptions import ValidationError

    from notifications.models import UnitOnCall

    with pytest.raises(ValidationError) as err:
        UnitOnCall(unit=unit, on_call_physician=nurse, charge_nurse=other_nurse).full_clean()
    assert set(err.value.message_dict) == {"on_call_physician", "charge_nurse"}


def test_admin_can_edit_roster_in_admin_site(client, admin_user, unit, nurse, physician):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.post(
        "/admin/notifications/unitoncall/add/",
        {"unit": unit.pk, "on_call_physician": physician.pk, "charge_nurse": nurse.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEvent.objects.filter(action="roster.created").exists()


def test_seed_demo_sets_roster():
    from django.core.management import call_command

    from notifications.models import UnitOnCall

    call_command("seed_demo", password="demo-password-123")
    roster = UnitOnCall.objects.get()
    assert roster.on_call_physician.username == "physician"
    assert roster.charge_nurse.username == "nurse"
    call_command("seed_demo", password="demo-password-123")  # idempotent
    assert UnitOnCall.objects.count() == 1


def test_one_escalation_per_assessment_with_words_and_links(client, api, roster, unit, nurse):
    # Issue 20 item 8: a severe assessment with a seizure made three escalations with the same
    # headline; now one, in words, linking to the patient and the assessment.
    import uuid

    from assessments import services as assessment_services
    from assessments.inputs import AssessmentInput
    from assessments.models import Escalation
    from tests.factories import items_for_total

    admission = make_admission(unit, by=nurse)
    result = assessment_services.assessment_create(
        admission=admission,
        actor=nurse,
        entry=AssessmentInput(items=items_for_total(45), seizure=True, sedation_level=0),
        idempotency_key=uuid.uuid4(),
    )
    assessment = result.assessment
    (escalation,) = Escalation.objects.filter(assessment=assessment)
    escalation_notify(escalation_id=escalation.pk)
    client.force_login(nurse)
    page = client.get(reverse("notifications:list")).content.decode()
    local = assessment.assessed_at.astimezone(unit.tz)
    words = (
        f"Critical: Seizure since last check (+1 more): bed {admission.bed.label}, "
        f"{local:%H:%M} {local.tzname()}"
    )
    assert words in page
    assert page.count("Seizure since last check") == 2  # the headline and its hidden label
    assert reverse("patients:detail", args=[admission.public_id]) in page
    assert reverse("assessments:detail", args=[assessment.public_id]) in page
    body = api(nurse).get("/api/v1/notifications/?open=1").json()
    rows = body["results"] if isinstance(body, dict) else body
    (row,) = [r for r in rows if r["kind"] == "escalation"]
    assert row["headline"].startswith("Critical: Seizure since last check")
    assert row["links"]["assessment_url"] == reverse(
        "assessments:detail", args=[assessment.public_id]
    )
