"""Issue 12 item 4 in a browser at 375 px: a period export starts a job, its page shows the
progress bar (while running) and the download link (when done); My exports lists them.

Celery is eager, so the job started from the page is done by the time its page loads; the
running state is made directly, as a worker would leave it mid-export.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.models import ExportJob
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ARTIFACTS, PHONE, screenshot
from tests.factories import make_admission, make_assessment


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.REPORT_EXPORT_DIR = tmp_path / "report-exports"


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_export_job_progress_and_download_on_a_phone(
    page_factory, login, live_server, admin_user, nurse, unit
):
    admission = make_admission(unit, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=2))
    for hours in (30, 20, 10):
        make_assessment(
            admission, by=nurse, total=hours, assessed_at=timezone.now() - dt.timedelta(hours=hours)
        )
    today = unit.local_now().date()
    page = page_factory(viewport=PHONE, javascript=False)
    login(page, admin_user.username)
    page.goto(
        f"{live_server.url}/reports/period/?unit={unit.public_id}"
        f"&start={today - dt.timedelta(days=7)}&end={today}"
    )
    section = page.locator("section:has(#download-h)")
    section.screenshot(path=str(ARTIFACTS / "period-downloads-phone.png"))
    page.get_by_role("button", name="Assessments (CSV)").click()
    page.wait_for_load_state("load")
    job = ExportJob.objects.get()
    assert page.url.endswith(f"/reports/exports/{job.public_id}/")
    link = page.get_by_role("link", name="Download the file (CSV")
    assert link.is_visible() and job.file_name in page.inner_text("main")
    assert "3 rows" in page.inner_text("main")
    screenshot(page, "export-job-done-phone")
    _fits(page)

    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == job.file_name

    # A job a worker is in the middle of: the bar, the words, and updates without a click.
    running = ExportJob.objects.create(
        requested_by=admin_user,
        unit=unit,
        unit_ids=[unit.pk],
        kind="period_assessments",
        format="xlsx",
        params={"start": str(today - dt.timedelta(days=365)), "end": str(today)},
        status="running",
        started_at=timezone.now(),
        rows_total=100_000,
        rows_done=12_000,
    )
    url = f"{live_server.url}/reports/exports/{running.public_id}/"
    page = page_factory(viewport=PHONE)
    login(page, admin_user.username)
    page.goto(url)
    bar = page.locator("progress#job-progress")
    assert bar.get_attribute("value") == "12000" and bar.get_attribute("max") == "100000"
    assert page.get_by_label("Progress").count() == 1  # the bar is labelled
    assert "12,000 of 100,000 rows (12%)" in page.inner_text("#job-progress-text")
    screenshot(page, "export-job-running-phone")
    # No meta refresh with JavaScript on (axe: a page that reloads itself disorients screen
    # readers); export_job.js swaps the status in place instead.
    assert_accessible(page)
    _fits(page)
    ExportJob.objects.filter(pk=running.pk).update(rows_done=56_000)
    expect(page.locator("#job-progress-text")).to_contain_text("56,000", timeout=8_000)
    assert page.url == url

    # Without JavaScript the page reloads itself (meta refresh in <noscript>), and offers a
    # way to stop that (WCAG 2.2.1).
    plain = page_factory(viewport=PHONE, javascript=False)
    login(plain, admin_user.username)
    plain.goto(url)
    assert plain.locator('meta[http-equiv="refresh"]').get_attribute("content") == "2"
    assert plain.get_by_role("link", name="Stop updating this page").count() == 1
    ExportJob.objects.filter(pk=running.pk).update(rows_done=80_000)
    expect(plain.locator("#job-progress-text")).to_contain_text("80,000", timeout=8_000)
    screenshot(plain, "export-job-running-phone-no-js")

    # The job finishes: the script stops polling and shows the finished state in place.
    ExportJob.objects.filter(pk=running.pk).update(status="failed", error="Test: stopped.")
    expect(page.locator("#job-status")).to_have_attribute("data-status", "failed", timeout=8_000)
    assert "Test: stopped." in page.inner_text("#job-status")
    assert "Export finished" in page.inner_text("#job-live")
    ExportJob.objects.filter(pk=running.pk).update(status="running", error="", rows_done=56_000)

    page.goto(f"{live_server.url}/reports/exports/")
    assert page.get_by_role("link", name="Ready to download").count() == 1
    assert "Running: 56,000 of 100,000 rows (56%)" in page.inner_text("main")
    screenshot(page, "my-exports-phone")
    assert_accessible(page)
    _fits(page)
