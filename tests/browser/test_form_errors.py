"""Issue 20 item 10: form errors show where the eye is (summary at the top of the form, focus
on the first invalid field), and no save leaves a "Confirm form resubmission" page behind
(post/redirect/get)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, screenshot
from tests.conftest import PASSWORD
from tests.factories import make_admission, make_assessment

IN_VIEW = """el => { const r = el.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight; }"""


def _focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _reload_is_a_get(page) -> None:
    methods = []
    page.on("request", lambda r: methods.append(r.method) if r.is_navigation_request() else None)
    page.reload()
    assert methods and set(methods) == {"GET"}, methods


@pytest.mark.django_db(transaction=True)
def test_wrong_password_on_sign_focuses_the_password_then_signing_is_prg(
    page_factory, login, live_server, physician, nurse, unit
):
    from tapering import services

    admission = make_admission(unit, by=nurse)
    data = {
        "agents": [{"agent": "diazepam", "daily_dose_mg": "20"}],
        "target_agent": "diazepam",
        "strategy": "inpatient",
        "start_date": unit.local_now().date().isoformat(),
    }
    plan = services.plan_create_draft(admission=admission, actor=physician, data=data)
    page = page_factory(viewport=PHONE)
    login(page, physician.username)
    page.goto(f"{live_server.url}/tapering/plans/{plan.public_id}/")
    page.fill("#id_password", "wrong-password")
    page.click("text=Sign: approved taper plan")
    page.wait_for_load_state("networkidle")
    assert _focused(page) == "id_password"
    assert page.locator("#id_password").evaluate(IN_VIEW)
    summary = page.locator("#sign-errors")
    assert "Your password" in summary.inner_text()
    assert page.locator("#id_password").get_attribute("aria-invalid") == "true"
    screenshot(page, "sign-wrong-password-phone")
    assert_accessible(page)
    page.fill("#id_password", PASSWORD)
    page.click("text=Sign: approved taper plan")
    page.wait_for_selector(".status-active")
    _reload_is_a_get(page)


def test_empty_entered_in_error_reason_focuses_the_reason(
    page_factory, login, live_server, nurse, unit
):
    admission = make_admission(unit, by=nurse)
    assessment = make_assessment(admission, by=nurse, total=12)
    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    page.goto(f"{live_server.url}/assessments/{assessment.public_id}/")
    page.locator("summary", has_text="Mark entered in error").click()
    page.fill("#id_reason", "   ")
    page.locator("button", has_text="Mark entered in error").click()
    page.wait_for_load_state("networkidle")
    assert _focused(page) == "id_reason"
    assert page.locator("#id_reason").evaluate(IN_VIEW)
    assert "Why is this entry wrong?" in page.locator("#in-error-errors").inner_text()
    screenshot(page, "in-error-empty-reason-phone")
    page.fill("#id_reason", "Wrong patient")
    page.locator("button", has_text="Mark entered in error").click()
    page.wait_for_url("**/timeline/**")
    _reload_is_a_get(page)


def test_admit_form_errors_are_summarised_with_focus_on_the_first(
    page_factory, login, live_server, nurse, unit
):
    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    page.goto(f"{live_server.url}/patients/admit/")
    # As if the browser's own checks were off (or passed): the server must say it.
    page.evaluate("document.querySelector('form.intake-form').noValidate = true")
    page.click("text=Admit and calculate dose")
    page.wait_for_load_state("networkidle")
    assert _focused(page) == "id_mrn"
    summary = page.locator("#error-summary")
    assert summary.evaluate(IN_VIEW)
    assert "MRN" in summary.inner_text()
    assert summary.locator("a[href='#id_mrn']").count() == 1
    screenshot(page, "admit-errors-phone")
    assert_accessible(page)


def test_dose_recorded_is_prg(
    page_factory, login, live_server, physician, nurse, unit, monkeypatch
):
    from tapering import services
    from tests.tapering.conftest import sign_before_first_dose

    # Admitted yesterday and signed before today's first dose time, so today's list holds
    # doses to record whatever the hour (signed in the evening, the plan starts tomorrow).
    admission = make_admission(unit, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=1))
    data = {
        "agents": [{"agent": "diazepam", "daily_dose_mg": "20"}],
        "target_agent": "diazepam",
        "strategy": "inpatient",
        "start_date": unit.local_now().date().isoformat(),
    }
    plan = services.plan_create_draft(admission=admission, actor=physician, data=data)
    sign_before_first_dose(monkeypatch, plan, physician)
    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    page.goto(f"{live_server.url}/tapering/admissions/{admission.public_id}/today/")
    first = page.locator("form.record").first
    first.locator("input[value=given]").check()
    first.locator("button[type=submit]").click()
    page.wait_for_selector(".message-success")
    _reload_is_a_get(page)
