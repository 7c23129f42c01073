import pytest
from django.core.management import call_command

from notifications.models import Notification
from tests.browser.conftest import PHONE, screenshot
from tests.factories import make_admission, make_assessment


@pytest.mark.parametrize("javascript", [True, False])
def test_nurse_acknowledges_a_reminder_from_the_bell(
    page_factory, login, live_server, unit, nurse, physician, javascript
):
    from notifications.models import UnitOnCall

    UnitOnCall.objects.create(unit=unit, on_call_physician=physician, charge_nurse=nurse)
    admission = make_admission(unit, by=nurse)
    make_assessment(admission, by=nurse, total=45, next_due_minutes=10)
    call_command("sweep_reminders")
    page = page_factory(viewport=PHONE, javascript=javascript)
    login(page, nurse.username)
    bell = page.locator("a.bell")
    assert bell.locator(".bell-count").inner_text() == "1"
    bell.click()
    assert "CIWA-B due at" in page.locator(".notification-headline").first.inner_text()
    screenshot(page, f"notifications-list-phone-js-{javascript}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Acknowledge").first.click()
    page.wait_for_load_state("networkidle")
    assert "Nothing waiting" in page.content()
    assert page.locator("a.bell .bell-count").inner_text() == "0"
    screenshot(page, f"notifications-acknowledged-phone-js-{javascript}")
    assert Notification.objects.get(recipient=nurse).acknowledged_by == nurse
