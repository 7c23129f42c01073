"""Issue 19 item 6: on a phone the navigation folds into a menu that works without JavaScript;
the bell and the user stay visible."""

from __future__ import annotations

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE, screenshot


@pytest.mark.parametrize("javascript", [True, False])
def test_phone_navigation_is_a_menu_keeping_bell_and_user(
    page_factory, login, live_server, nurse, javascript
):
    page = page_factory(viewport=PHONE, javascript=javascript)
    login(page, nurse.username)
    header = page.locator("header.topbar")
    # Was about a third of the screen (270 px of 812).
    assert header.bounding_box()["height"] <= 130
    assert page.locator("header .bell").is_visible()
    assert page.locator("header .who").is_visible()
    assert page.locator("header button", has_text="Log out").is_visible()
    menu_link = page.locator(".nav-menu a", has_text="Patients")
    assert not menu_link.is_visible()
    assert not page.locator(".nav-wide a", has_text="Patients").is_visible()
    screenshot(page, f"nav-phone-closed{'' if javascript else '-nojs'}")
    page.locator(".nav-menu summary").click()
    assert menu_link.is_visible()
    box = menu_link.bounding_box()
    assert box["height"] >= 44
    screenshot(page, f"nav-phone-open{'' if javascript else '-nojs'}")
    if javascript:
        assert_accessible(page)
    menu_link.click()
    page.wait_for_url("**/patients/")


def test_desktop_navigation_shows_the_links(page_factory, login, live_server, nurse):
    page = page_factory(viewport=DESKTOP)
    login(page, nurse.username)
    assert page.locator(".nav-wide a", has_text="Patients").is_visible()
    assert not page.locator(".nav-menu summary").is_visible()
