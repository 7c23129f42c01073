"""Two-factor enrolment and login in a real browser; CSP holds; logout clears storage."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import PHONE, screenshot
from tests.security.conftest import totp_now


@pytest.fixture
def csp_violations():
    found: list[str] = []

    def watch(page):
        page.on(
            "console",
            lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        return page

    watch.found = found
    return watch


def test_required_enrolment_then_login_with_a_code(
    page_factory, login, live_server, physician, settings, csp_violations
):
    settings.OTP_REQUIRED_ROLES = ["physician", "admin"]
    page = csp_violations(page_factory(viewport=PHONE))
    login(page, physician.username)
    assert "/core/account/otp/setup/" in page.url
    assert page.locator(".qr svg").is_visible()
    screenshot(page, "security-otp-setup-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    device = TOTPDevice.objects.get(user=physician, confirmed=False)
    page.fill("#id_code", totp_now(device))
    page.click("button.primary")
    page.wait_for_load_state("networkidle")
    codes = page.locator("ol.codes li").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "security-backup-codes-phone")
    page.click("a.button.primary")
    page.wait_for_load_state("networkidle")
    assert "/core/account/otp" not in page.url

    # Log out, then in again: the OTP step comes after the password.
    page.click("button.link-button:has-text('Log out')")
    page.wait_for_load_state("networkidle")
    login(page, physician.username)
    assert "/core/account/otp/" in page.url
    screenshot(page, "security-otp-verify-phone")
    page.fill("#id_code", totp_now(TOTPDevice.objects.get(user=physician), offset_steps=1))
    page.click("button.primary")
    page.wait_for_load_state("networkidle")
    assert "/core/account/otp/" not in page.url and "/accounts/login/" not in page.url
    assert not csp_violations.found, csp_violations.found


def test_logout_clears_browser_storage(page_factory, login, live_server, nurse, csp_violations):
    page = csp_violations(page_factory())
    login(page, nurse.username)
    page.goto(f"{live_server.url}/core/account/")
    page.evaluate("localStorage.setItem('draft', 'patient notes')")
    screenshot(page, "security-account-desktop")
    page.click("button.link-button:has-text('Log out')")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" in page.url
    assert page.evaluate("localStorage.getItem('draft')") is None
    assert not csp_violations.found, csp_violations.found


def test_emergency_access_and_audit_pages_render_on_a_phone(
    page_factory, login, live_server, other_physician, admin_user, csp_violations
):
    page = csp_violations(page_factory(viewport=PHONE))
    login(page, other_physician.username)
    page.goto(f"{live_server.url}/patients/emergency/")
    page.fill("#id_mrn", "NOPE")
    page.fill("#id_reason", "short")
    page.click("button.primary")
    page.wait_for_load_state("networkidle")
    assert "No admission" in page.content() or "at least" in page.content()
    screenshot(page, "security-emergency-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    admin_page = csp_violations(page_factory(viewport=PHONE))
    login(admin_page, admin_user.username)
    admin_page.goto(f"{live_server.url}/core/audit/")
    screenshot(admin_page, "security-audit-phone")
    assert admin_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not csp_violations.found, csp_violations.found
