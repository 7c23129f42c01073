"""Offline bedside entry in real chromium (issue 14): a CIWA-B and a dose recorded with no
connection are kept on the device, shown as waiting, sent once when the connection returns;
refusals show the server's reason; logout and a change of user leave nothing behind."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Assessment
from patients.services import admission_discharge
from tapering import services as taper_services
from tapering.models import DoseAdministration
from tests.browser.axe import axe_violations
from tests.browser.conftest import ARTIFACTS, PHONE, screenshot
from tests.factories import items_for_total, make_admission

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _save_board_pages_at_once(settings):
    settings.OFFLINE_PRECACHE_DELAY_SECONDS = 1


WAIT_CONTROLLED = "() => !!navigator.serviceWorker && navigator.serviceWorker.controller !== null"
ENTRIES = "() => CNTOffline.allEntries()"
STORAGE = """async () => {
  const names = (await caches.keys()).filter(n => n.startsWith('cnt-pages-'));
  let pages = 0;
  for (const n of names) pages += (await (await caches.open(n)).keys()).length;
  const entries = await CNTOffline.allEntries();
  return {caches: names, pages: pages, entries: entries.length};
}"""


def screenshot_path(name: str):
    """For a screenshot of the visible part only (the CIWA-B form is very long)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def _saved(page, path: str) -> str:
    """JS predicate: the page at ``path`` is saved on the device."""
    return f"""async () => {{
      for (const n of await caches.keys()) {{
        const cache = await caches.open(n);
        if (n.startsWith('cnt-pages-') && await cache.match(location.origin + '{path}'))
          return true;
      }}
      return false;
    }}"""


def _until(page, predicate: str, timeout: float = 45.0) -> None:
    """Poll from here: wait_for_function does not wait for an async predicate's answer."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"not true after {timeout} s: {predicate}"
        time.sleep(0.2)


def _wait_saved(page, path: str, saved: bool = True) -> None:
    check = _saved(page, path)
    _until(page, check if saved else f"async () => !(await ({check})())")


def _tap_items(page, scores):
    for number, score in enumerate(scores, start=1):
        page.click(f"label[for='i{number}-{score}']")


def _active_plan(admission, physician, monkeypatch):
    """In force from today's first dose time (signed before it), so today's list holds doses
    whatever the hour; ``admission`` must be admitted before that."""
    from tests.tapering.conftest import sign_before_first_dose

    data = {
        "agents": [{"agent": "diazepam", "daily_dose_mg": "20"}],
        "target_agent": "diazepam",
        "start_date": admission.unit.local_now().date().isoformat(),
    }
    plan = taper_services.plan_create_draft(admission=admission, actor=physician, data=data)
    return sign_before_first_dose(monkeypatch, plan, physician)


def _open_board_and_wait_for_saved_pages(page, live_server, admission):
    page.goto(f"{live_server.url}/reports/board/")
    page.wait_for_function(WAIT_CONTROLLED, timeout=30_000)
    # The worker was not in control for the first load: load once more so it saves the board.
    page.reload()
    form = f"/assessments/admissions/{admission.public_id}/new/"
    doses = f"/tapering/admissions/{admission.public_id}/today/"
    for path in (form, doses, "/offline/", "/reports/board/"):
        _wait_saved(page, path)
    return form, doses


def test_offline_ciwa_and_dose_are_kept_then_sent_once(
    page_factory, login, live_server, nurse, physician, unit, monkeypatch
):
    admission = make_admission(unit, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=1))
    _active_plan(admission, physician, monkeypatch)
    page = page_factory(viewport=PHONE)
    context = page.context
    login(page, nurse.username)
    form, doses = _open_board_and_wait_for_saved_pages(page, live_server, admission)

    context.set_offline(True)
    # The form as saved on the device, marked as the offline copy, with a fresh key.
    page.goto(f"{live_server.url}{form}")
    banner = page.locator("#offline-banner")
    expect(banner).to_contain_text("Offline: last updated")
    _tap_items(page, items_for_total(14))
    page.click("label[for='id_sedation_level_0']")
    pressed = timezone.now()
    page.click("#ciwa-save")
    page.wait_for_selector(".queue-entry.queue-waiting")
    expect(banner).to_contain_text("Saved on this device, not yet sent (1 waiting)")
    assert "/offline/" in page.url and "Received" not in page.content()
    expect(page.locator(".queue-indicator .js-queue-count")).to_have_text("1")
    assert not Assessment.objects.exists()

    page.goto(f"{live_server.url}{doses}")
    expect(banner).to_contain_text("Offline: last updated")
    first = page.locator("form.record").first
    first.locator("input[value=given]").check()
    first.locator("button[type=submit]").click()
    page.wait_for_selector(".queue-entry.queue-waiting >> nth=1")
    expect(banner).to_contain_text("(2 waiting)")
    assert not DoseAdministration.objects.exists()

    # Reload offline: the queue is still there; the form still opens with its banner.
    page.reload()
    page.wait_for_selector(".queue-entry.queue-waiting >> nth=1")
    assert page.locator(".queue-entry").count() == 2
    screenshot(page, "offline-queue-waiting-phone")
    assert axe_violations(page) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(f"{live_server.url}{form}")
    expect(banner).to_contain_text("Offline: last updated")
    expect(banner).to_contain_text("(2 waiting)")
    assert page.locator("#ciwa-form").is_visible()
    page.screenshot(path=str(screenshot_path("offline-banner-form-phone")))

    # Logging out would delete the waiting entries: the nurse is asked first.
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("text=Log out")
    assert asked and "2 entries are saved on this device and not yet sent" in asked[0]
    assert len(page.evaluate(ENTRIES)) == 2 and form in page.url

    # The first send of the CIWA-B reached the server but its answer was lost.
    entries = page.evaluate(ENTRIES)
    ciwa = next(e for e in entries if e["kind"] == "ciwa")
    lost = Client()
    lost.force_login(nurse)
    from urllib.parse import parse_qsl

    sent = lost.post(form, dict(parse_qsl(ciwa["body"])), HTTP_X_OFFLINE_REPLAY="1")
    assert sent.status_code == 201
    assert Assessment.objects.count() == 1

    page.goto(f"{live_server.url}/offline/")
    context.set_offline(False)
    page.wait_for_function(
        "() => document.querySelectorAll('.queue-entry.queue-sent').length === 2", timeout=45_000
    )
    expect(page.locator("#offline-queue")).to_contain_text("Received by the server")
    expect(page.locator("#offline-banner")).to_contain_text("CIWA-B received by the server")
    screenshot(page, "offline-queue-sent-phone")
    assert Assessment.objects.count() == 1
    assert DoseAdministration.objects.count() == 1
    assessment = Assessment.objects.get()
    assert assessment.recorded_offline_at is not None
    # The bedside time (Save pressed), not the time the queue was sent.
    assert abs(assessment.assessed_at - pressed) < dt.timedelta(seconds=30)
    dose = DoseAdministration.objects.get()
    assert dose.recorded_offline_at is not None and dose.occurred_at == dose.recorded_offline_at

    # Sent again (both answers lost once more): still one row each.
    page.evaluate(
        """async (entries) => {
             for (const e of entries) await CNTOffline.putEntry(e);
             (await navigator.serviceWorker.ready).active.postMessage({type: 'flush'});
           }""",
        entries,
    )
    assert all(e["status"] == "waiting" for e in page.evaluate(ENTRIES))
    _until(page, """async () => (await CNTOffline.allEntries()).every(e => e.status === 'sent')""")
    assert Assessment.objects.count() == 1
    assert DoseAdministration.objects.count() == 1


def _queue_ciwa_offline(page, live_server, form):
    page.context.set_offline(True)
    page.goto(f"{live_server.url}{form}")
    try:
        _tap_items(page, items_for_total(8))
    except Exception:
        # What the device showed instead of the form, for whoever reads the failure.
        screenshot(page, "offline-form-missing")
        print("Shown instead of the form:", page.url, page.evaluate(STORAGE))
        raise
    page.click("#ciwa-save")
    page.wait_for_selector(".queue-entry.queue-waiting")


def test_discharged_meanwhile_is_refused_with_the_reason_and_logout_clears_the_device(
    page_factory, login, live_server, nurse, unit
):
    admission = make_admission(unit, by=nurse)
    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    form, _ = _open_board_and_wait_for_saved_pages(page, live_server, admission)
    _queue_ciwa_offline(page, live_server, form)
    admission_discharge(
        actor=nurse, admission=admission, discharged_at=timezone.now(), reason="Completed"
    )
    page.context.set_offline(False)
    try:
        page.wait_for_selector(".queue-entry.queue-refused", timeout=45_000)
    except Exception:
        print("Shown instead of the refusal:", page.url, page.locator("main").inner_text())
        raise
    queue = page.locator("#offline-queue")
    expect(queue).to_contain_text("Not accepted by the server")
    expect(queue).to_contain_text("This patient has been discharged")
    expect(page.locator("#offline-banner")).to_contain_text("not accepted by the server")
    screenshot(page, "offline-queue-refused-phone")
    assert axe_violations(page) == []
    assert not Assessment.objects.exists()

    before = page.evaluate(STORAGE)
    assert before["pages"] > 0 and before["entries"] == 1
    page.click("text=Log out")
    page.wait_for_url("**/accounts/login/**")
    after = page.evaluate(STORAGE)
    assert after == {"caches": [], "pages": 0, "entries": 0}
    assert (
        page.evaluate("() => navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    )


def test_expired_session_waits_for_login_and_another_user_sees_nothing(
    page_factory, login, live_server, nurse, make_user, unit
):
    from cnt_detox.core.roles import Role

    other = make_user("nurse3", Role.NURSE, unit)
    admission = make_admission(unit, by=nurse)
    page = page_factory(viewport=PHONE)
    context = page.context
    login(page, nurse.username)
    form, _ = _open_board_and_wait_for_saved_pages(page, live_server, admission)

    # Offline long enough for the session to end: the entry waits for the next login.
    _queue_ciwa_offline(page, live_server, form)
    context.clear_cookies()
    context.set_offline(False)
    page.reload()  # the session is gone: the login page
    page.wait_for_url("**/accounts/login/**")
    expect(page.locator("#offline-banner")).to_contain_text("Log in as the same person")
    assert not Assessment.objects.exists()
    # Nobody is logged in: the saved pages are gone, the entry waits for the same person.
    _until(page, f"async () => ({STORAGE})().then(s => s.pages === 0)")
    assert page.evaluate(STORAGE)["entries"] == 1
    assert "CIWA-B for" not in page.content()  # logged out: no patient names
    login(page, nurse.username)
    page.goto(f"{live_server.url}/offline/")
    page.wait_for_selector(".queue-entry.queue-sent", timeout=45_000)
    assert Assessment.objects.count() == 1

    # Another entry waits when the session ends; someone else logs in on this device.
    page.goto(f"{live_server.url}/reports/board/")
    _wait_saved(page, form)
    _queue_ciwa_offline(page, live_server, form)
    context.clear_cookies()
    context.set_offline(False)
    login(page, other.username)
    page.goto(f"{live_server.url}/offline/")
    expect(page.locator("#offline-queue")).to_contain_text("Nothing is waiting on this device")
    assert admission.patient.full_name not in page.locator("#offline-queue").inner_text()
    expect(page.locator(".queue-indicator")).to_be_hidden()
    storage = page.evaluate(STORAGE)
    assert storage["entries"] == 0
    entries = page.evaluate(ENTRIES)
    assert entries == []
    # Only pages loaded by the new user are on the device.
    page.goto(f"{live_server.url}{form}")
    assert Assessment.objects.count() == 1


def test_saved_pages_are_not_shown_after_the_limit(page_factory, login, live_server, nurse, unit):
    admission = make_admission(unit, by=nurse)
    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    form, _ = _open_board_and_wait_for_saved_pages(page, live_server, admission)
    # Age the saved form by 13 hours (the limit is OFFLINE_PAGE_MAX_AGE_HOURS, 12).
    page.evaluate(
        """async (path) => {
          const url = location.origin + path;
          for (const n of await caches.keys()) {
            if (!n.startsWith('cnt-pages-')) continue;
            const cache = await caches.open(n);
            const hit = await cache.match(url);
            if (!hit) continue;
            const headers = new Headers(hit.headers);
            headers.set('X-Cnt-Saved-At', new Date(Date.now() - 13 * 3600 * 1000).toISOString());
            await cache.put(url, new Response(await hit.text(), {headers}));
          }
        }""",
        form,
    )
    page.context.set_offline(True)
    page.goto(f"{live_server.url}{form}")
    expect(page.locator("h1")).to_have_text("You are offline")
    assert admission.patient.full_name not in page.locator("main").inner_text().split("Pages")[0]
    assert page.locator("#ciwa-form").count() == 0
    _wait_saved(page, form, saved=False)
    # The board, saved just now, still opens.
    page.goto(f"{live_server.url}/reports/board/")
    expect(page.locator("#offline-banner")).to_contain_text("Offline: last updated")
