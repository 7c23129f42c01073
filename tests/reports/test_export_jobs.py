"""Issue 12 item 4: long exports run as a background job with a progress page and a download.

Celery is eager here (tests/conftest.py): the task runs when the request's transaction commits
(``django_capture_on_commit_callbacks(execute=True)``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from cnt_detox.core.models import AuditEvent
from cnt_detox.core.roles import Role
from reports import exports, jobs, services
from reports.census import CENSUS_HEADER
from reports.models import ExportJob, ExportJobStatus, ExportKind
from reports.period import ASSESSMENT_HEADER, Period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.REPORT_EXPORT_DIR = tmp_path / "report-exports"


def week(unit, now) -> dict[str, str]:
    today = now.astimezone(unit.tz).date()
    return Period(unit, today - dt.timedelta(days=7), today).params()


def body(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def without_stamp(rows: list[list]) -> list[list[str]]:
    """The rows without the lines that name the export time (and the digest that covers it)."""
    return [
        [str(c) for c in r]
        for r in rows
        if not (r and str(r[0]).startswith(("Exported ", exports.DIGEST_PREFIX)))
    ]


def start(client, capture, **data):
    with capture(execute=True):
        return client.post(reverse("reports:export-start"), {"kind": "period", **data})


def make_job(user, scope, **fields) -> ExportJob:
    today = timezone.now().astimezone(scope.tz).date()
    defaults = {
        "requested_by": user,
        "unit": scope,
        "unit_ids": [scope.pk],
        "kind": ExportKind.PERIOD_ASSESSMENTS,
        "format": "csv",
        "params": {"start": str(today - dt.timedelta(days=7)), "end": str(today)},
    }
    return ExportJob.objects.create(**(defaults | fields))


# --- The whole flow ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_period_export_job_gives_the_streaming_file_and_audits_each_download(
    client, admin_user, seeded, unit, django_capture_on_commit_callbacks, fmt
):
    client.force_login(admin_user)
    p = week(unit, seeded.now)
    response = start(
        client, django_capture_on_commit_callbacks, **p, rows="assessments", format=fmt
    )
    job = ExportJob.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse("reports:export-job", args=[job.public_id])
    assert job.status == ExportJobStatus.DONE
    assert (job.rows_done, job.rows_total) == (5, 5)
    assert job.kind == "period_assessments" and job.unit_ids == [unit.pk]
    assert job.file_name.startswith("period-assessments_ward-1_") and job.file_name.endswith(fmt)

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("reports:export-download", args=[job.public_id]) in html
    assert 'http-equiv="refresh"' not in html  # done: no more refreshing

    download = client.get(reverse("reports:export-download", args=[job.public_id]))
    assert download.status_code == 200
    assert job.file_name in download["Content-Disposition"]
    data = body(download)
    assert download["X-Content-SHA256"] == job.file_sha256
    streamed = body(
        client.get(reverse("reports:period-export"), {**p, "rows": "assessments", "format": fmt})
    )
    if fmt == "csv":
        assert exports.verify_csv(data)
        assert csv_rows(data)[0] == ASSESSMENT_HEADER
        assert without_stamp(csv_rows(data)) == without_stamp(csv_rows(streamed))
    else:
        assert exports.verify_xlsx(io.BytesIO(data))
        rows, digest = exports.xlsx_rows(io.BytesIO(data))
        assert digest == job.content_sha256
        assert without_stamp(rows) == without_stamp(exports.xlsx_rows(io.BytesIO(streamed))[0])

    requested = AuditEvent.objects.get(action="report.export_job.requested")
    assert requested.object_id == str(job.public_id)
    assert requested.details["params"] == {**p, "unit": str(unit.public_id)} | {
        "start": p["start"],
        "end": p["end"],
    }
    assert AuditEvent.objects.filter(action="report.export_job.done").count() == 1
    # The download is the export, counted as for the streaming one: rows and in-file digest.
    events = AuditEvent.objects.filter(action="report.exported", details__params__job__isnull=False)
    assert events.count() == 1
    event = events.get()
    assert event.details["rows"] == 5 and event.details["sha256"] == job.content_sha256
    assert event.details["kind"] == "period_assessments" and event.details["completed"] is True
    client.get(reverse("reports:export-download", args=[job.public_id]))
    assert events.count() == 2


def test_progress_rows_done_increases_while_running(admin_user, seeded, unit, monkeypatch):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_ROWS", 2)
    seen: list[tuple[str, int, int | None]] = []
    real = jobs._set_progress

    def spy(job_pk: int, **fields):
        real(job_pk, **fields)
        job = ExportJob.objects.get(pk=job_pk)
        seen.append((job.status, job.rows_done, job.rows_total))

    monkeypatch.setattr(jobs, "_set_progress", spy)
    job = make_job(admin_user, unit)
    jobs.export_job_run(job_id=job.pk)
    assert seen == [("running", 0, 5), ("running", 2, 5), ("running", 4, 5)]
    job.refresh_from_db()
    assert job.status == "done" and job.rows_done == 5 and job.percent == 100


def test_a_second_run_does_nothing(admin_user, seeded, unit):
    job = make_job(admin_user, unit)
    jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    path = jobs.job_path(job)
    written = path.stat().st_mtime_ns
    events = AuditEvent.objects.count()
    jobs.export_job_run(job_id=job.pk)
    from reports.tasks import run_export

    run_export(job.pk)
    assert path.stat().st_mtime_ns == written
    assert AuditEvent.objects.count() == events
    again = ExportJob.objects.get(pk=job.pk)
    assert (again.status, again.finished_at, again.file_sha256) == (
        "done",
        job.finished_at,
        job.file_sha256,
    )


def test_a_failure_is_said_in_plain_words_and_leaves_no_file(admin_user, seeded, unit, monkeypatch):
    def broken(job, now):
        raise RuntimeError("database went away")

    monkeypatch.setattr(jobs, "build_table", broken)
    job = make_job(admin_user, unit)
    jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at
    assert job.error.startswith("The export failed on the server. Start it again")
    assert "database went away" not in job.error  # details go to the log, not the page
    assert not (
        jobs.export_files.job_folder(jobs.settings.REPORT_EXPORT_DIR, job.public_id)
    ).exists()
    assert AuditEvent.objects.filter(action="report.export_job.failed").count() == 1


def test_failed_job_page_shows_the_error(client, admin_user, unit):
    job = make_job(admin_user, unit, status="failed", error="The export failed on the server.")
    client.force_login(admin_user)
    html = client.get(reverse("reports:export-job", args=[job.public_id])).content.decode()
    assert 'role="alert"' in html and "The export failed on the server." in html
    assert "Download" not in html


def test_running_page_shows_progress_and_refreshes_itself(client, admin_user, unit):
    job = make_job(admin_user, unit, status="running", rows_total=100_000, rows_done=12_000)
    client.force_login(admin_user)
    html = client.get(reverse("reports:export-job", args=[job.public_id])).content.decode()
    assert '<progress id="job-progress" max="100000" value="12000">' in html
    assert "12,000 of 100,000 rows (12%)" in html
    assert '<meta http-equiv="refresh" content="2">' in html
    download = client.get(reverse("reports:export-download", args=[job.public_id]))
    assert download.status_code == 409


# --- Bad input: nothing saved -------------------------------------------------------------------


def test_bad_period_shows_the_form_errors_and_saves_nothing(
    client, admin_user, unit, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    response = start(
        client,
        django_capture_on_commit_callbacks,
        unit=str(unit.public_id),
        start="2025-03-10",
        end="2025-03-01",
        format="xlsx",
    )
    assert response.status_code == 400
    assert b"The end date must be on or after the start date." in response.content
    bad_format = start(
        client,
        django_capture_on_commit_callbacks,
        unit=str(unit.public_id),
        start="2025-03-01",
        end="2025-03-02",
        format="json",
    )
    assert bad_format.status_code == 400 and b"Format:" in bad_format.content
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="report.exported").exists()


def test_api_job_flow_and_field_errors(
    api, admin_user, seeded, unit, django_capture_on_commit_callbacks
):
    client = api(admin_user)
    p = week(unit, seeded.now)
    bad = client.post(
        "/api/v1/reports/exports",
        {"kind": "period", "unit": p["unit"], "start": p["end"], "end": p["start"]},
        format="json",
    )
    assert bad.status_code == 400 and "end" in bad.json()["error"]["fields"]
    no_unit = client.post("/api/v1/reports/exports", {"kind": "period"}, format="json")
    assert {"unit", "start", "end"} <= set(no_unit.json()["error"]["fields"])
    bad_at = client.post("/api/v1/reports/exports", {"kind": "census", "at": "x"}, format="json")
    assert bad_at.status_code == 400 and "at" in bad_at.json()["error"]["fields"]
    assert not ExportJob.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/api/v1/reports/exports",
            {"kind": "period", **p, "rows": "admissions", "format": "csv"},
            format="json",
        )
    assert started.status_code == 202
    status_url = started["Location"].split("testserver", 1)[1]
    status = client.get(status_url).json()
    assert status["status"] == "done" and status["rows_done"] == 3
    assert status["progress"] == "3 of 3 rows (100%)"
    download = client.get(status["download"].split("testserver", 1)[1])
    assert download.status_code == 200 and exports.verify_csv(body(download))

    with django_capture_on_commit_callbacks(execute=True):
        census = client.post("/api/v1/reports/exports", {"kind": "census"}, format="json")
    job = ExportJob.objects.get(public_id=census.json()["id"])
    assert job.kind == "census" and job.unit is None and job.status == "done"
    assert job.rows_done == 2  # the admin's unit only: the critical and the transferred stay


# --- Who may see a job --------------------------------------------------------------------------


def test_forbidden_paths(client, api, make_user, admin_user, nurse, unit, other_unit):
    job = make_job(admin_user, unit, status="done")
    urls = [
        reverse("reports:export-job", args=[job.public_id]),
        reverse("reports:export-download", args=[job.public_id]),
    ]
    other_admin = make_user("admin2", Role.ADMIN, other_unit)
    client.force_login(other_admin)
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.get(reverse("reports:export-job", args=[uuid.uuid4()])).status_code == 404
    assert client.get("/reports/exports/not-a-uuid/").status_code == 404
    assert api(other_admin).get(f"/api/v1/reports/exports/{job.public_id}").status_code == 404
    assert str(job.public_id) not in client.get(reverse("reports:export-jobs")).content.decode()

    client.force_login(nurse)
    for url in [*urls, reverse("reports:export-jobs")]:
        assert client.get(url).status_code == 403
    assert client.post(reverse("reports:export-start"), {}).status_code == 403
    assert api(nurse).get(f"/api/v1/reports/exports/{job.public_id}").status_code == 403
    assert api(nurse).post("/api/v1/reports/exports", {}).status_code == 403

    client.logout()
    for url in [*urls, reverse("reports:export-jobs")]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]

    # An admin of the same unit may see it; a unit not yours in the request is 404.
    colleague = make_user("admin3", Role.ADMIN, unit)
    client.force_login(colleague)
    assert client.get(urls[0]).status_code == 200
    client.force_login(other_admin)
    response = client.post(
        reverse("reports:export-start"),
        {"kind": "period", "unit": str(unit.public_id), "start": "2025-03-01", "end": "2025-03-02"},
    )
    assert response.status_code == 404
    assert ExportJob.objects.count() == 1


def test_all_units_census_job_is_its_requesters_only(client, make_user, admin_user, unit):
    job = make_job(admin_user, unit, unit=None, kind="census", params={"at": None})
    colleague = make_user("admin3", Role.ADMIN, unit)
    client.force_login(colleague)
    assert client.get(reverse("reports:export-job", args=[job.public_id])).status_code == 404


def test_an_admin_moved_off_a_unit_loses_its_exports(
    client, make_user, admin_user, unit, other_unit
):
    """Access follows the admin's units today: their own earlier export of a unit they no
    longer hold is 404, and so is an all-units census that covered it."""
    admin_user.units.add(other_unit)
    period_job = make_job(admin_user, other_unit, status="done")
    census_job = make_job(
        admin_user,
        unit,
        unit=None,
        unit_ids=[unit.pk, other_unit.pk],
        kind="census",
        params={"at": None},
    )
    client.force_login(admin_user)
    for job in (period_job, census_job):
        assert client.get(reverse("reports:export-job", args=[job.public_id])).status_code == 200
    admin_user.units.remove(other_unit)
    for job in (period_job, census_job):
        for name in ("reports:export-job", "reports:export-download"):
            assert client.get(reverse(name, args=[job.public_id])).status_code == 404
    listed = client.get(reverse("reports:export-jobs")).content.decode()
    assert str(period_job.public_id) not in listed


# --- Expiry and the sweep -----------------------------------------------------------------------


def test_expired_file_says_so_and_is_not_downloaded(client, admin_user, seeded, unit):
    job = make_job(admin_user, unit)
    jobs.export_job_run(job_id=job.pk)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    client.force_login(admin_user)
    page = client.get(reverse("reports:export-job", args=[job.public_id])).content.decode()
    assert "Status: Expired" in page and "Start a new export" in page
    assert reverse("reports:export-download", args=[job.public_id]) not in page
    download = client.get(reverse("reports:export-download", args=[job.public_id]))
    assert download.status_code == 410
    assert not AuditEvent.objects.filter(action="report.exported").exists()

    counts = services.export_jobs_sweep()
    job.refresh_from_db()
    assert counts["expired"] == 1 and job.status == "expired"
    assert not jobs.job_path(job).exists() and not jobs.job_path(job).parent.exists()
    assert job.file_sha256 and job.rows_done == 5  # the row stays as the record
    assert AuditEvent.objects.filter(action="report.export_job.expired").count() == 1
    assert services.export_jobs_sweep()["expired"] == 0


def test_sweep_requeues_lost_jobs_and_fails_stuck_ones(
    admin_user, seeded, unit, settings, django_capture_on_commit_callbacks
):
    now = timezone.now()
    lost = make_job(admin_user, unit, enqueued_at=now - dt.timedelta(minutes=3))
    fresh = make_job(admin_user, unit)
    stuck = make_job(
        admin_user,
        unit,
        status="running",
        created_at=now - dt.timedelta(minutes=settings.REPORT_EXPORT_STUCK_MINUTES + 1),
    )
    never = make_job(
        admin_user,
        unit,
        created_at=now - dt.timedelta(minutes=settings.REPORT_EXPORT_STUCK_MINUTES + 1),
        enqueued_at=now - dt.timedelta(minutes=5),
    )
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.export_jobs_sweep(now)
    assert counts == {"requeued": 1, "failed": 2, "expired": 0}
    # Eager Celery: the re-sent task ran at once.
    assert ExportJob.objects.get(pk=lost.pk).status == "done"
    assert ExportJob.objects.get(pk=fresh.pk).status == "queued"
    for job in (stuck, never):
        job.refresh_from_db()
        assert job.status == "failed" and "did not finish in time" in job.error
    from reports.tasks import sweep_exports

    sweep_exports()  # the beat task: nothing more to do
    assert ExportJob.objects.filter(status="failed").count() == 2


def test_a_run_the_sweep_failed_stops_and_removes_its_file(admin_user, seeded, unit, monkeypatch):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_ROWS", 2)
    real = jobs._set_progress

    def fail_midway(job_pk: int, **fields):
        if fields.get("rows_done") == 2:
            ExportJob.objects.filter(pk=job_pk).update(status="failed", error="stopped")
        real(job_pk, **fields)

    monkeypatch.setattr(jobs, "_set_progress", fail_midway)
    job = make_job(admin_user, unit)
    jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "stopped"
    assert not jobs.export_files.job_folder(jobs.settings.REPORT_EXPORT_DIR, job.public_id).exists()


# --- My exports -------------------------------------------------------------------------------


def test_my_exports_list_makes_the_same_queries_for_2_or_20_jobs(
    client, admin_user, make_user, unit, other_unit, django_assert_num_queries
):
    colleague = make_user("admin3", Role.ADMIN, unit)
    stranger = make_user("admin2", Role.ADMIN, other_unit)
    make_job(stranger, other_unit)
    client.force_login(admin_user)
    client.get(reverse("reports:export-jobs"))  # warm the session and menu caches

    def count(n: int) -> int:
        ExportJob.objects.filter(unit=unit).delete()
        for k in range(n):
            make_job(colleague if k % 2 else admin_user, unit, status="running", rows_done=k)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("reports:export-jobs"))
        assert response.status_code == 200
        assert response.content.decode().count("Running: ") == min(n, 25)
        return len(ctx.captured_queries)

    assert count(2) == count(20)
    html = client.get(reverse("reports:export-jobs")).content.decode()
    assert "Ward 2" not in html


def test_census_job_from_a_form_post_and_its_errors(
    client, admin_user, seeded, unit, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    bad = start(client, django_capture_on_commit_callbacks, kind="census", at="yesterday")
    assert bad.status_code == 400 and b"Enter a date and time such as" in bad.content
    unknown = start(client, django_capture_on_commit_callbacks, kind="everything")
    assert unknown.status_code == 400
    assert not ExportJob.objects.exists()

    done = start(client, django_capture_on_commit_callbacks, kind="census", format="xlsx")
    job = ExportJob.objects.get()
    assert job.kind == "census" and job.unit is None and job.unit_ids == [unit.pk]
    html = client.get(done["Location"]).content.decode()
    assert "All units of Admin1 Test" in html and "Download the file (XLSX" in html
    rows, _ = exports.xlsx_rows(
        io.BytesIO(body(client.get(reverse("reports:export-download", args=[job.public_id]))))
    )
    assert rows[0] == CENSUS_HEADER and job.rows_done == 2
    mrns = {str(r[3]) for r in rows[1:3]}
    assert mrns == {seeded.critical.patient.mrn, seeded.transferred.patient.mrn}
