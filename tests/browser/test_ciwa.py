"""A nurse at the bedside records a CIWA-B by tapping, on a phone-sized screen."""

from __future__ import annotations

import time

import pytest

from assessments.models import Assessment
from tests.browser.conftest import PHONE, screenshot
from tests.factories import items_for_total, make_admission

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bedside(unit, nurse):
    return make_admission(unit, by=nurse)


def _tap_items(page, scores):
    for number, score in enumerate(scores, start=1):
        page.click(f"label[for='i{number}-{score}']")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_nurse_records_ciwa_by_tapping_on_a_phone(
    page_factory, login, live_server, nurse, bedside, javascript
):
    page = page_factory(viewport=PHONE, javascript=javascript)
    login(page, nurse.username)
    page.goto(f"{live_server.url}/assessments/admissions/{bedside.public_id}/new/")
    suffix = "js" if javascript else "nojs"
    screenshot(page, f"ciwa-entry-empty-phone-{suffix}")

    # Tap targets are at least 44 px high and nothing scrolls sideways.
    box = page.locator("label[for='i1-0']").bounding_box()
    assert box["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    started = time.monotonic()
    scores = items_for_total(27)
    _tap_items(page, scores)
    if javascript:
        live = page.locator("#ciwa-live").inner_text()
        assert "Total 27" in live and "Moderate" in live and "20/20" in live
    page.fill("#id_heart_rate", "104")
    page.fill("#id_systolic_bp", "142")
    page.fill("#id_diastolic_bp", "88")
    page.click("label[for='id_sedation_level_0']")
    page.click("label[for='id_hallucinations']")
    screenshot(page, f"ciwa-entry-filled-phone-{suffix}")
    page.click("#ciwa-save")
    page.wait_for_selector("#result-total")
    assert time.monotonic() - started < 60

    assert page.locator("#result-total").inner_text() == "27"
    assert page.locator("#result-band").inner_text() == "Moderate"
    assert "PHYSICIAN NOTIFIED" in page.locator(".alert-physician").inner_text().upper()
    assert "New hallucinations" in page.content()
    assert "Next check due" in page.locator("#result-due").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"ciwa-result-phone-{suffix}")
    assert Assessment.objects.filter(admission=bedside, total=27).count() == 1

    page.click("text=Timeline")
    page.wait_for_selector("svg.chart")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"ciwa-timeline-phone-{suffix}")
