import datetime as dt

import pytest
from django.utils import timezone

from assessments.models import AssessmentFlag
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.factories import make_admission, make_assessment, make_patient


@pytest.fixture
def board_data(unit, nurse):
    now = timezone.now()
    late = make_admission(unit, by=nurse, patient=make_patient(first_name="Ada", last_name="Late"))
    a = make_assessment(
        late, by=nurse, total=44, assessed_at=now - dt.timedelta(hours=3), next_due_minutes=60
    )
    AssessmentFlag.objects.create(
        admission=late,
        assessment=a,
        code="confusion",
        level="critical",
        reason="Confusion or disorientation",
        source="2025 Joint Guideline",
    )
    calm = make_admission(unit, by=nurse, patient=make_patient(first_name="Ben", last_name="Calm"))
    make_assessment(calm, by=nurse, total=6, assessed_at=now - dt.timedelta(minutes=30))
    return late, calm


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_unit_board(page_factory, login, live_server, nurse, board_data, viewport, name):
    page = page_factory(viewport=viewport)
    login(page, nurse.username)
    assert page.url.endswith("/reports/board/")
    rows = page.locator("#board tbody tr[data-key]")
    assert rows.count() == 2
    assert "Ada Late" in rows.nth(0).inner_text()  # overdue and critical first
    assert "Overdue by" in rows.nth(0).inner_text()
    assert page.locator(".js-only").is_visible()
    screenshot(page, f"reports-board-{name}")
    if viewport == PHONE:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_board_refreshes_in_place_keeping_focus(
    page_factory, login, live_server, nurse, unit, board_data
):
    page = page_factory(viewport=DESKTOP)
    login(page, nurse.username)
    page.locator("#board-refresh").focus()
    # A new admission appears without a reload; speed the timer up through the data attribute.
    make_admission(unit, by=nurse, patient=make_patient(first_name="Cy", last_name="New"))
    with page.expect_response(lambda r: "/reports/board/rows/" in r.url) as info:
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    assert info.value.request.headers.get("x-background-poll") == "1"
    page.wait_for_function("document.querySelectorAll('#board tbody tr[data-key]').length === 3")
    assert page.evaluate("document.activeElement.id") == "board-refresh"


def test_board_works_without_javascript(page_factory, login, live_server, nurse, board_data):
    page = page_factory(viewport=PHONE, javascript=False)
    login(page, nurse.username)
    assert page.locator("#board tbody tr[data-key]").count() == 2
    assert page.locator("#board-refresh").is_visible()
    assert not page.locator(".js-only").is_visible()
