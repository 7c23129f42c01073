"""Issue 20 item 12: a 60-character name without spaces never makes a phone page scroll
sideways; the full name stays available."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, screenshot
from tests.factories import make_admission, make_patient

LONG = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewiss"[:60]


@pytest.fixture
def long_named(unit, nurse):
    assert len(LONG) == 60 and " " not in LONG
    return make_admission(unit, by=nurse, patient=make_patient(first_name="Al", last_name=LONG))


def test_long_name_on_phone_board_and_patient_page(
    page_factory, login, live_server, nurse, long_named
):
    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    assert LONG in page.locator("#board").inner_text().replace("\n", "")
    screenshot(page, "long-name-board-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(f"{live_server.url}/patients/{long_named.public_id}/")
    assert LONG in page.locator("main").inner_text().replace("\n", "")
    screenshot(page, "long-name-patient-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(f"{live_server.url}/patients/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_long_name_on_phone_notifications_and_doses(
    page_factory, login, live_server, nurse, long_named
):
    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    for path in ("/notifications/", f"/tapering/admissions/{long_named.public_id}/today/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
