"""Issue 19 item 2: bad input is a 400 (or 413) in the error format, never a 500.

One test per class of input the probe found: oversized bodies, deeply nested JSON, NUL bytes
in query strings and form fields, non-UUID ids in filters, dates in year 1 or 9999, and
clinical times that are not plausible. Routes come from the resolver (tests/security/walker),
so a new API write endpoint is covered without touching this file.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cnt_detox.core.services import api_token_issue
from tapering.models import DoseAdministration, ScheduledDose, TaperPlan
from tests.security.walker import discover_routes, objects_with_ids, urls_for

pytestmark = pytest.mark.django_db

SKIP = ("/api/v1/schema/", "/api/v1/docs/")
WRITE_METHODS = ("post", "put", "patch")
TEN_MB = 10 * 1024 * 1024


def api_urls(seeded) -> list[str]:
    pool = objects_with_ids()
    urls = []
    for route in discover_routes():
        if route.is_api and route.template not in SKIP:
            urls.append(next(iter(urls_for(route, pool))))
    return urls


def token_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {api_token_issue(actor=user)[1]}")


def assert_error_format(response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    body = response.json()
    assert {"code", "message", "fields"} <= set(body["error"]), body
    return body["error"]


def test_a_ten_megabyte_body_is_413_on_every_api_write(seeded, physician):
    client = token_client(physician)
    body = json.dumps({"reason": "x" * TEN_MB})
    urls = api_urls(seeded)
    assert len(urls) >= 10
    for url in urls:
        for method in WRITE_METHODS:
            response = getattr(client, method)(url, body, content_type="application/json")
            error = assert_error_format(response, 413)
            assert error["code"] == "too_large"


def test_json_nested_five_thousand_deep_is_400(seeded, physician):
    client = token_client(physician)
    deep_list = "[" * 5000 + "]" * 5000
    deep_object = '{"a":' * 5000 + "1" + "}" * 5000
    for url in api_urls(seeded):
        for body in (deep_list, deep_object):
            for method in WRITE_METHODS:
                response = getattr(client, method)(url, body, content_type="application/json")
                assert response.status_code < 500, (method, url, response.content[:200])
                # A view that never reads the body (e.g. a revoke answering 204) may succeed;
                # one that reads it must get the parse error.
                if response.status_code >= 400 and response.status_code not in (401, 403, 404, 405):
                    error = assert_error_format(response, 400)
                    assert error["code"] == "parse_error", (method, url, error)


def test_nul_in_a_query_string_is_400(seeded, nurse):
    client = token_client(nurse)
    response = client.get("/api/v1/admissions/", {"status": "\x00"})
    assert_error_format(response, 400)
    page = Client()
    page.force_login(nurse)
    response = page.get(reverse("patients:list"), {"q": "a\x00b"})
    assert response.status_code == 400
    assert b"not allowed" in response.content


def test_nul_in_a_form_field_is_a_form_error(seeded, physician):
    client = Client()
    client.force_login(physician)
    response = client.post(
        reverse("tapering:builder"),
        {"agent_0": "alprazolam", "dose_0": "4\x00", "target_agent": "diazepam"},
    )
    assert response.status_code == 400
    assert b"not allowed" in response.content


def test_nul_in_a_json_string_is_400(seeded, physician):
    client = token_client(physician)
    response = client.post(
        "/api/v1/taper-previews/",
        {"agents": [{"agent": "alprazolam\x00", "daily_dose_mg": "4"}]},
        content_type="application/json",
    )
    assert_error_format(response, 400)


@pytest.mark.parametrize("name", ["patients:list", "reports:board", "reports:board-rows"])
def test_a_non_uuid_id_in_a_filter_is_400(seeded, nurse, name):
    client = Client()
    client.force_login(nurse)
    response = client.get(reverse(name), {"unit": "x"})
    assert response.status_code == 400, response.content[:300]
    response = client.get(reverse(name), {"unit": str(seeded.unit.public_id)})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_patch_admitted_at_in_year_1_or_9999_is_400(seeded, nurse, value):
    admission = seeded.admissions[0]
    response = token_client(nurse).patch(
        f"/api/v1/admissions/{admission.public_id}/",
        {"admitted_at": value},
        content_type="application/json",
    )
    error = assert_error_format(response, 400)
    assert "admitted_at" in error["fields"]


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_preview_start_date_in_year_1_or_9999_is_400(physician, value):
    response = token_client(physician).post(
        "/api/v1/taper-previews/",
        {
            "agents": [{"agent": "alprazolam", "daily_dose_mg": "4"}],
            "target_agent": "diazepam",
            "strategy": "inpatient",
            "start_date": value,
        },
        content_type="application/json",
    )
    error = assert_error_format(response, 400)
    assert "start_date" in error["fields"]


@pytest.mark.parametrize(
    ("start", "end"), [("0001-01-01", "0001-01-31"), ("9999-12-01", "9999-12-31")]
)
def test_period_report_dates_in_year_1_or_9999_are_400(seeded, admin_user, start, end):
    unit = str(seeded.unit.public_id)
    api = token_client(admin_user).get(
        "/api/v1/reports/period", {"unit": unit, "start": start, "end": end, "format": "json"}
    )
    assert_error_format(api, 400)
    page = Client()
    page.force_login(admin_user)
    for name in ("reports:period", "reports:period-export"):
        response = page.get(reverse(name), {"unit": unit, "start": start, "end": end})
        assert response.status_code == 400, (name, response.status_code)


@pytest.mark.parametrize("until", ["0001-01-01", "9999-12-31"])
def test_audit_filter_until_in_year_1_or_9999_is_a_form_error(seeded, admin_user, until):
    page = Client()
    page.force_login(admin_user)
    response = page.get(reverse("core:audit"), {"until": until})
    assert response.status_code in (200, 400)
    assert b"between" in response.content


@pytest.fixture
def active_plan(seeded):
    plan = TaperPlan.objects.filter(admission__unit=seeded.unit, status="active").first()
    assert plan is not None, "the tapering demo seeder makes an active plan"
    return plan


@pytest.mark.parametrize("value", ["0001-01-01T08:00:00Z", "1999-01-01T08:00:00Z"])
def test_a_dose_given_in_year_1_or_before_admission_is_refused(active_plan, nurse, value):
    dose = ScheduledDose.objects.filter(plan=active_plan).order_by("due_at").first()
    response = token_client(nurse).post(
        f"/api/v1/scheduled-doses/{dose.public_id}/administrations/",
        {"outcome": "given", "occurred_at": value},
        content_type="application/json",
    )
    error = assert_error_format(response, 400)
    assert "occurred_at" in error["fields"]
    assert not DoseAdministration.objects.filter(scheduled_dose=dose).exists()


def test_an_assessment_in_year_1_is_refused(seeded, nurse):
    admission = seeded.admissions[0]
    response = token_client(nurse).post(
        "/api/v1/assessments/",
        {
            "admission": str(admission.public_id),
            "assessed_at": "0001-01-01T00:00:00Z",
            "items": [0] * 20,
        },
        content_type="application/json",
    )
    error = assert_error_format(response, 400)
    assert "assessed_at" in error["fields"]


def test_admission_and_discharge_in_year_1_or_9999_are_refused(seeded, nurse):
    admission = seeded.admissions[0]
    client = token_client(nurse)
    for value in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
        response = client.post(
            f"/api/v1/admissions/{admission.public_id}/discharge/",
            {"discharged_at": value, "reason": "home"},
            content_type="application/json",
        )
        assert_error_format(response, 400)
    admission.refresh_from_db()
    assert admission.discharged_at is None
    assert timezone.now() - admission.admitted_at < dt.timedelta(days=1)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_five_thousand_character_username_is_a_failed_login_not_a_500(db, path):
    # axes keeps the username in a varchar(255): on PostgreSQL this was a DataError.
    response = Client().post(path, {"username": "9" * 5000, "password": "x"})
    assert response.status_code in (200, 400, 429)
