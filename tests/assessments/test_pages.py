"""Bedside pages without JavaScript: plain form posts, errors on the page, forbidden paths,
timeline query count."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Assessment
from cnt_detox.core.models import AuditEvent
from tests.factories import items_for_total, make_assessment

pytestmark = pytest.mark.django_db


def form_data(total=12, **extra):
    data = {"idempotency_key": str(uuid.uuid4()), "mode": "scored", "sedation_level": "0"}
    data.update({f"item_{n}": str(v) for n, v in enumerate(items_for_total(total), start=1)})
    data.update(extra)
    return data


def test_plain_post_saves_and_shows_result(client, nurse, admission):
    client.force_login(nurse)
    url = reverse("assessments:new", args=[admission.public_id])
    page = client.get(url)
    assert page.status_code == 200
    assert page.content.count(b'type="radio" class="tap" name="item_') == 100
    data = form_data(45, heart_rate="96", seizure="on")
    response = client.post(url, data)
    assert response.status_code == 302
    # A double tap or a retry carries the same key: one assessment, same result page.
    assert client.post(url, data)["Location"] == response["Location"]
    assert Assessment.objects.count() == 1
    result = client.get(response["Location"]).content.decode()
    assert 'id="result-total">45<' in result and "Severe" in result
    assert "Physician notified" in result and "Seizure since the last assessment" in result
    assert "Next check due" in result and "(in 60 min)" in result


def test_missing_items_and_bad_vitals_are_shown_on_the_page(client, nurse, admission):
    client.force_login(nurse)
    url = reverse("assessments:new", args=[admission.public_id])
    data = form_data(12, heart_rate="400")
    del data["item_7"]
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved" in body and "Choose a score for this item." in body
    data = form_data(12, heart_rate="400")
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Heart rate 400 /min is outside 20-250 /min" in response.content.decode()
    # The taps already made are kept.
    assert 'id="i1-4" value="4" checked' in response.content.decode()
    assert not Assessment.objects.exists()


def test_unable_to_assess_path(client, nurse, admission):
    client.force_login(nurse)
    url = reverse("assessments:new", args=[admission.public_id])
    page = client.get(url + "?unable=1").content.decode()
    assert "Unable to assess: why?" in page
    response = client.post(
        url,
        {"idempotency_key": str(uuid.uuid4()), "mode": "unable", "unable_reason": "confused"},
    )
    assert response.status_code == 302
    result = client.get(response["Location"]).content.decode()
    assert "Unable to assess" in result and "Physician notified" in result


def test_late_entry_in_unit_local_time(client, nurse, admission):
    client.force_login(nurse)
    url = reverse("assessments:new", args=[admission.public_id])
    local = (timezone.now() - dt.timedelta(minutes=40)).astimezone(admission.unit.tz)
    response = client.post(url, form_data(5, assessed_at=local.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 302
    a = Assessment.objects.get()
    assert a.is_late_entry
    assert abs((a.assessed_at - local).total_seconds()) < 60


@pytest.mark.parametrize("name", ["new", "timeline"])
def test_forbidden_pages(client, other_nurse, admin_user, admission, name):
    url = reverse(f"assessments:{name}", args=[admission.public_id])
    client.force_login(other_nurse)
    assert client.get(url).status_code == 404
    assert client.post(url, form_data()).status_code == 404
    client.force_login(admin_user)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
    assert not Assessment.objects.exists()


def test_detail_forbidden_and_audited(client, nurse, other_nurse, admin_user, admission):
    a = make_assessment(admission, by=nurse)
    url = reverse("assessments:detail", args=[a.public_id])
    client.force_login(other_nurse)
    assert client.get(url).status_code == 404
    client.force_login(admin_user)
    assert client.get(url).status_code == 403
    client.force_login(nurse)
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(
        action="assessment.viewed", object_id=str(a.public_id)
    ).exists()


def test_entered_in_error_from_the_page_is_struck_on_the_timeline(client, nurse, admission):
    a = make_assessment(admission, by=nurse, total=33)
    client.force_login(nurse)
    url = reverse("assessments:entered_in_error", args=[a.public_id])
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "wrong patient"})
    assert response.status_code == 302
    timeline = client.get(response["Location"]).content.decode()
    assert "Entered in error: wrong patient" in timeline
    assert 'class="struck">33<' in timeline
    assert AuditEvent.objects.filter(action="assessment.timeline_viewed").exists()


def test_timeline_query_count_is_constant(client, nurse, admission):
    client.force_login(nurse)
    url = reverse("assessments:timeline", args=[admission.public_id])
    start = timezone.now() - dt.timedelta(minutes=100)
    make_assessment(admission, by=nurse, total=5, assessed_at=start, heart_rate=80)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(1, 9):
        a = make_assessment(
            admission, by=nurse, total=5 + n * 3, assessed_at=start + dt.timedelta(minutes=10 * n)
        )
    services.assessment_mark_entered_in_error(assessment=a, actor=nurse, reason="duplicate")
    make_assessment(admission, by=nurse, total=None, unable_reason="refused")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(few) == len(many), [q["sql"][:80] for q in many]
    body = response.content.decode()
    assert "<svg" in body and "CIWA-B total over time" in body and "Moderate (21-40)" in body


def test_timeline_shows_recent_days_by_default_and_whole_stay_on_request(client, nurse, admission):
    client.force_login(nurse)
    url = reverse("assessments:timeline", args=[admission.public_id])
    now = timezone.now()
    old = make_assessment(admission, by=nurse, total=33, assessed_at=now - dt.timedelta(days=5))
    make_assessment(admission, by=nurse, total=7, assessed_at=now - dt.timedelta(hours=2))
    recent = client.get(url).content.decode()
    assert "Showing 1 of 2 assessments" in recent
    assert str(old.public_id) not in recent
    whole = client.get(url, {"days": "all"}).content.decode()
    assert "Showing 2 of 2 assessments" in whole
    assert str(old.public_id) in whole
    # An unknown window falls back to the default rather than failing.
    assert client.get(url, {"days": "bogus"}).status_code == 200


# The whole page POST as the server sees it: session and user, the admission with the save's
# reads, BEGIN, writes, COMMIT. One more than the API (session + user instead of the token).
# On PostgreSQL the writes after the assessment INSERT are one statement (assessments.writes).
PAGE_SAVE_BUDGET = {"sqlite": {12: 9, 45: 10}, "postgresql": {12: 7, 45: 7}}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("total", [12, 45])
def test_whole_page_save_query_budget(client, nurse, admission, total, monkeypatch):
    from cnt_detox.core import queue

    monkeypatch.setattr(queue, "_hand_off", lambda name, ids: None)  # tasks run elsewhere
    client.force_login(nurse)
    url = reverse("assessments:new", args=[admission.public_id])
    earlier = timezone.localtime(timezone.now() - dt.timedelta(minutes=30))
    warm_up = form_data(5, assessed_at=earlier.strftime("%Y-%m-%dT%H:%M"))
    assert client.post(url, warm_up).status_code in (302, 400)
    data = form_data(total, seizure="on" if total > 40 else "")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    assert response.status_code == 302
    sql = [q["sql"] for q in queries]
    assert "BEGIN" in sql and sql[-1] == "COMMIT"
    budget = PAGE_SAVE_BUDGET[connection.vendor][total]
    assert len(sql) == budget, "\n".join(q[:120] for q in sql)
