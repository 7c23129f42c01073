import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, screenshot


@pytest.mark.parametrize("who", ["nurse", "physician", "admin_user"])
def test_each_role_logs_in_and_lands_on_its_home(request, page_factory, login, live_server, who):
    user = request.getfixturevalue(who)
    page = page_factory(viewport=PHONE)
    login(page, user.username)
    assert "/accounts/login/" not in page.url
    assert page.locator(".who").inner_text().startswith(user.display_name)
    # The session expiry is always shown to the user.
    assert page.locator("#session-expiry").is_visible()
    path = screenshot(page, f"login-{user.role}-home-phone")
    assert path.stat().st_size > 0
    # No horizontal scrolling at phone width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)


def test_login_page_is_accessible(page_factory, live_server):
    page = page_factory(viewport=PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page)


def test_wrong_password_shows_message(page_factory, login, nurse):
    page = page_factory()
    login(page, nurse.username, "not-the-password")
    assert "did not match" in page.content()
