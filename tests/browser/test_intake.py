"""A nurse admits a patient on a tablet-width page and sees the computed intake."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from patients.models import Admission
from tests.browser.conftest import PHONE, screenshot

TABLET = {"width": 768, "height": 1024}


def _admit(page, live_server, bed) -> None:
    page.goto(f"{live_server.url}/patients/admit/")
    page.fill("#id_mrn", "BR-1001")
    page.fill("#id_first_name", "Jamie")
    page.fill("#id_last_name", "Rivera")
    page.fill("#id_date_of_birth", "1958-04-09")
    page.select_option("#id_sex", "female")
    page.select_option("#id_bed", str(bed.public_id))
    last = (timezone.now() - dt.timedelta(hours=30)).astimezone(bed.unit.tz)
    page.select_option("#id_substances-0-agent", "alprazolam")
    page.fill("#id_substances-0-daily_dose_mg", "4")
    page.fill("#id_substances-0-duration_months", "24")
    page.fill("#id_substances-0-last_dose_at", last.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_substances-1-agent", "lorazepam")
    page.fill("#id_substances-1-daily_dose_mg", "2")
    page.fill("#id_substances-1-duration_months", "6")
    page.check("#id_alcohol_dependence")


def test_nurse_admits_two_benzodiazepines_on_a_tablet(page_factory, login, live_server, nurse, bed):
    page = page_factory(viewport=TABLET, javascript=False)
    login(page, nurse.username)
    _admit(page, live_server, bed)
    screenshot(page, "intake-admit-form-tablet")
    page.click("button[type=submit].primary")
    page.wait_for_load_state("load")
    admission = Admission.objects.get()
    assert f"/patients/{admission.public_id}/" in page.url
    assert page.locator("#dze-total").inner_text() == "100 mg"
    assert page.locator("#withdrawal-risk").inner_text() == "Expected"
    assert page.locator(".dose-band").inner_text() == "High dose"
    flags = page.locator("#intake-flags").inner_text()
    assert "above 50 mg" in flags and "Short-acting alprazolam" in flags
    assert "Alcohol dependence:" in flags
    assert page.locator("#setting").inner_text() == "Inpatient"
    screenshot(page, "intake-detail-tablet")
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]

    page.goto(f"{live_server.url}/patients/")
    assert "Rivera, Jamie" in page.content()
    screenshot(page, "intake-list-tablet")


def test_admit_form_and_error_on_a_phone(page_factory, login, live_server, nurse, bed):
    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    _admit(page, live_server, bed)
    # Browser-side check first: too high a dose is refused before the form is sent.
    page.fill("#id_substances-0-daily_dose_mg", "4000")
    page.click("button[type=submit].primary")
    assert (
        page.evaluate("document.querySelector('#id_substances-0-daily_dose_mg').validity.valid")
        is False
    )
    assert not Admission.objects.exists()
    page.fill("#id_substances-0-daily_dose_mg", "4")
    page.fill("#id_date_of_birth", "1958-04-09")
    page.click("button[type=submit].primary")
    page.wait_for_load_state("load")
    assert page.locator("#dze-total").inner_text() == "100 mg"
    screenshot(page, "intake-detail-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
