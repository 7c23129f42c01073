"""Issue 20 item 9: an unattended board logs out at the idle limit and shows the login page."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, screenshot
from tests.factories import make_admission, make_assessment, make_patient


def test_unattended_board_logs_out_at_the_idle_limit(
    page_factory, login, live_server, nurse, unit, settings
):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 8
    admission = make_admission(
        unit, by=nurse, patient=make_patient(first_name="Idle", last_name="Watcher")
    )
    make_assessment(
        admission, by=nurse, total=6, assessed_at=timezone.now() - dt.timedelta(hours=1)
    )
    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    assert page.url.endswith("/reports/board/")
    assert "Idle Watcher" in page.content()
    # Inside the last two minutes: the warning is a banner at the top of the page.
    banner = page.locator("#session-warning")
    banner.wait_for(state="visible")
    box = banner.bounding_box()
    assert box is not None and box["y"] < 5
    assert "logged out in" in banner.inner_text()
    screenshot(page, "session-warning-board-phone")
    assert_accessible(page)
    # A board refresh in the meantime, even one that does not say it is background, does
    # not keep the session alive.
    page.evaluate("fetch('/reports/board/rows/', {credentials: 'same-origin'})")
    page.wait_for_url("**/accounts/login/**", timeout=20_000)
    page.wait_for_load_state("networkidle")
    assert page.locator("#id_username").is_visible()
    body = page.content()
    assert "Idle Watcher" not in body
    assert "8 seconds without activity" in body
    screenshot(page, "session-ended-login-phone")
    # And it stays logged out: opening the board again asks for the login.
    page.goto(f"{live_server.url}/reports/board/")
    assert "/accounts/login/" in page.url
    assert "Idle Watcher" not in page.content()
