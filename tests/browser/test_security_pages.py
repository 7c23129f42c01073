"""The Account page's API-token list and the audit page's "Admin role granted" panel: usable
at phone width, accessible (axe-core), screenshots for a person to look at."""

from __future__ import annotations

import pytest

from cnt_detox.core import audit
from cnt_detox.core.roles import Role
from cnt_detox.core.services import api_token_issue
from tests.browser.axe import axe_violations
from tests.browser.conftest import PHONE, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_account_page_lists_api_tokens(page_factory, login, live_server, nurse):
    token, _ = api_token_issue(actor=nurse)
    page = page_factory(viewport=PHONE)
    login(page, "nurse1")
    page.goto(f"{live_server.url}/core/account/")
    assert token.prefix in page.content()
    assert page.get_by_role("button", name="End all my API tokens").is_visible()
    assert not axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "security-account-tokens-phone")


def test_audit_page_shows_admin_role_grants(page_factory, login, live_server, admin_user, nurse):
    audit.record(
        actor=admin_user,
        action="admin.role_granted",
        obj=nurse,
        changes={"role": {"old": Role.NURSE, "new": Role.ADMIN}},
        details={"username": nurse.username},
    )
    page = page_factory(viewport=PHONE)
    login(page, "admin1")
    page.goto(f"{live_server.url}/core/audit/")
    assert "an admin (was nurse)" in page.content()
    assert not axe_violations(page)
    screenshot(page, "security-audit-role-grants-phone")
