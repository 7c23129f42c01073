"""A physician builds, reviews and signs a taper plan; a nurse records a dose. Screenshots."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tapering.models import DoseAdministration, PlanStatus, TaperPlan
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.conftest import PASSWORD
from tests.factories import make_admission


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("javascript", [True, False])
def test_physician_builds_reviews_and_signs(
    page_factory, login, live_server, physician, nurse, unit, javascript
):
    admission = make_admission(unit, by=nurse)
    page = page_factory(viewport=PHONE, javascript=javascript)
    login(page, physician.username)
    page.goto(f"{live_server.url}/tapering/")
    page.click(f"text={admission.patient.full_name}")
    # Prefilled from the intake: alprazolam 4 + lorazepam 2 mg/day.
    assert page.input_value("#id_dose_0") == "4"
    page.select_option("#id_target_agent", "diazepam")
    page.click("button[value=preview]")
    page.wait_for_selector("#preview")
    assert "specialist review" in page.content()
    assert "= 2 x 10 mg tablet" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"taper-builder-phone-js{int(javascript)}")
    page.click("button[value=save]")
    page.wait_for_selector("#sign-h")
    page.fill("#id_password", "wrong-password")
    page.click("text=Sign: approved taper plan")
    # Waits for the answer page: read at once, a loaded machine gave a half-parsed page.
    expect(page.locator("main")).to_contain_text("not correct")
    page.fill("#id_password", PASSWORD)
    page.click("text=Sign: approved taper plan")
    page.wait_for_selector(".status-active")
    plan = TaperPlan.objects.get(admission=admission)
    assert plan.status == PlanStatus.ACTIVE
    assert plan.signature.digest in page.content()
    screenshot(page, f"taper-signed-phone-js{int(javascript)}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.django_db(transaction=True)
def test_signed_plan_desktop_print_and_nurse_today(
    page_factory, login, live_server, physician, nurse, unit, monkeypatch
):
    from tapering import services
    from tests.tapering.conftest import sign_before_first_dose

    # Admitted yesterday and signed before today's first dose time, so the nurse's list holds
    # doses to record whatever the hour (signed in the evening, the plan starts tomorrow).
    admission = make_admission(unit, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=1))
    data = {
        "agents": [
            {"agent": "alprazolam", "daily_dose_mg": "4"},
            {"agent": "lorazepam", "daily_dose_mg": "2"},
        ],
        "target_agent": "chlordiazepoxide",
        "start_date": unit.local_now().date().isoformat(),
    }
    plan = services.plan_create_draft(admission=admission, actor=physician, data=data)
    sign_before_first_dose(monkeypatch, plan, physician)
    page = page_factory(viewport=DESKTOP)
    login(page, physician.username)
    page.goto(f"{live_server.url}/tapering/plans/{plan.public_id}/")
    screenshot(page, "taper-signed-desktop")
    page.goto(f"{live_server.url}/tapering/plans/{plan.public_id}/print/")
    page.emulate_media(media="print")
    screenshot(page, "taper-print")

    nurse_page = page_factory(viewport=PHONE)
    login(nurse_page, nurse.username)
    nurse_page.goto(f"{live_server.url}/tapering/admissions/{admission.public_id}/today/")
    assert "capsule" in nurse_page.content()
    first = nurse_page.locator("form.record").first
    first.locator("input[value=given]").check()
    first.locator("button[type=submit]").click()
    nurse_page.wait_for_selector(".message-success")
    assert DoseAdministration.objects.count() == 1
    screenshot(nurse_page, "taper-today-phone")
    assert nurse_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
