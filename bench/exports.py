"""Export benchmark: seeds 100,000 assessments into a throwaway database and measures the
census and period exports (time, peak Python allocations, peak RSS).

Run from the repository root (not a test):
    python bench/exports.py                      # throwaway SQLite file in a temp dir
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cnt_reports_bench python bench/exports.py
With PostgreSQL the database named in the URL is created and dropped by Django's test
machinery (it gets a "test_" prefix), so nothing else is touched.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="cnt-bench-")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{TMP}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnt_detox.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from cnt_detox.core.audit_actions import AuditAction  # noqa: E402

ASSESSMENTS = int(os.environ.get("BENCH_ASSESSMENTS", "100000"))
PER_STAY = 200
MEMORY_LIMIT_MB = 200


def rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux: the peak resident size of this process so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed() -> tuple[object, object]:
    from assessments.models import Assessment
    from clinical.ciwa_b import band_for_total
    from cnt_detox.core.models import User
    from cnt_detox.core.roles import Role, user_set_role
    from patients.models import Admission, AdmissionMovement, Bed, Patient, Unit

    unit = Unit.objects.create(name="Bench ward", time_zone="Europe/London")
    beds = [Bed.objects.create(unit=unit, label=f"B{n:02d}") for n in range(20)]
    admin = User.objects.create_user(username="bench-admin", password="x" * 20)
    user_set_role(admin, Role.ADMIN)
    admin.units.add(unit)
    nurse = User.objects.create_user(username="bench-nurse", password="x" * 20)
    user_set_role(nurse, Role.NURSE)

    now = timezone.now()
    stays = ASSESSMENTS // PER_STAY
    start = now - dt.timedelta(days=stays // 20 * 3 + 3)
    patients = Patient.objects.bulk_create(
        Patient(
            mrn=f"B{n:06d}",
            first_name="Bench",
            last_name=f"P{n}",
            date_of_birth=dt.date(1970, 1, 1),
        )
        for n in range(stays)
    )
    admissions = []
    for n, patient in enumerate(patients):
        admitted = start + dt.timedelta(days=3 * (n // 20))
        open_stay = n >= stays - 20
        admissions.append(
            Admission(
                patient=patient,
                unit=unit,
                bed=beds[n % 20],
                admitted_at=admitted,
                discharged_at=None if open_stay else admitted + dt.timedelta(days=3),
                status="open" if open_stay else "discharged",
                primary_agent="alprazolam",
                diazepam_equivalent_mg=40,
            )
        )
    admissions = Admission.objects.bulk_create(admissions, batch_size=500)
    AdmissionMovement.objects.bulk_create(
        (
            AdmissionMovement(admission=a, to_unit=unit, to_bed=a.bed, moved_at=a.admitted_at)
            for a in admissions
        ),
        batch_size=500,
    )
    batch: list[Assessment] = []
    for a in admissions:
        for k in range(PER_STAY):
            at = a.admitted_at + dt.timedelta(minutes=20 * k)
            total = (k * 7) % 60
            batch.append(
                Assessment(
                    admission=a,
                    assessed_at=at,
                    entered_by=nurse,
                    total=total,
                    band=str(band_for_total(total)),
                    items=[0] * 20,
                    next_due_at=at + dt.timedelta(minutes=30),
                    notes="=cmd|' /C calc'!A0",
                )
            )
            if len(batch) >= 5000:
                Assessment.objects.bulk_create(batch)
                batch.clear()
    Assessment.objects.bulk_create(batch)
    return unit, admin


def timed_then_traced(run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Seconds of one run without tracemalloc, then the Python peak (MB) of a second run under it.

    tracemalloc hooks every allocation and made the 100,000-row exports 3-4x slower, so the
    time and the Python peak come from separate runs of the same export. RSS (the 200 MB limit)
    is the process's high-water mark and needs no tracing.
    """
    began = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - began
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, result


def measure(client: Client, label: str, url: str, params: dict[str, str]) -> dict[str, object]:
    def run() -> tuple[int, int]:
        response = client.get(url, params)
        size = 0
        if response.streaming:
            for chunk in response.streaming_content:
                size += len(chunk)
        else:
            size = len(response.content)
        response.close()
        return response.status_code, size

    seconds, peak_mb, (status, size) = timed_then_traced(run)
    print(f"{label}: {seconds:.1f} s", flush=True)
    return {
        "export": label,
        "status": status,
        "bytes": size,
        "seconds": round(seconds, 2),
        "python_peak_mb": round(peak_mb, 1),
        "rss_peak_mb": round(rss_mb(), 1),
    }


def measure_job(admin: object, unit: object, label: str, params: dict[str, str]) -> dict:
    """The background job's path (issue 12 item 4): the worker's run, in-process."""
    from reports import jobs
    from reports.models import ExportJob

    def run() -> ExportJob:
        job = ExportJob.objects.create(
            requested_by=admin,
            unit=unit,
            unit_ids=[unit.pk],
            kind=f"period_{params.get('rows', 'admissions')}",
            format=params["format"],
            params={"start": params["start"], "end": params["end"]},
        )
        jobs.export_job_run(job_id=job.pk)
        return job

    seconds, peak_mb, job = timed_then_traced(run)
    job.refresh_from_db()
    print(f"{label}: {seconds:.1f} s", flush=True)
    return {
        "export": label,
        "status": 200 if job.status == "done" else 500,
        "bytes": job.file_size or 0,
        "seconds": round(seconds, 2),
        "python_peak_mb": round(peak_mb, 1),
        "rss_peak_mb": round(rss_mb(), 1),
    }


def main() -> int:
    from django.test.utils import get_runner

    setup_test_environment()
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        # A file, not the test runner's in-memory database, so the data is not counted in RSS.
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    else:
        runner = get_runner(settings)(verbosity=0, interactive=False)
        old = runner.setup_databases()
    try:
        t0 = time.perf_counter()
        unit, admin = seed()
        seeded_in = time.perf_counter() - t0
        print(f"seeded in {seeded_in:.1f} s, RSS so far {rss_mb():.1f} MB", flush=True)
        from assessments.models import Assessment
        from cnt_detox.core.models import AuditEvent

        client = Client()
        client.force_login(admin)
        settings.REPORT_EXPORT_DIR = Path(TMP) / "report-exports"
        today = timezone.now().astimezone(unit.tz).date()
        period = {
            "unit": str(unit.public_id),
            "start": str(today - dt.timedelta(days=365)),
            "end": str(today),
        }
        results = [
            measure(client, "census csv", "/reports/census/export/", {"unit": period["unit"]}),
            measure(
                client,
                "census xlsx",
                "/reports/census/export/",
                {"unit": period["unit"], "format": "xlsx"},
            ),
            measure(
                client, "period stays csv", "/reports/period/export/", {**period, "format": "csv"}
            ),
            measure(
                client, "period stays xlsx", "/reports/period/export/", {**period, "format": "xlsx"}
            ),
            measure(
                client,
                "period assessments csv",
                "/reports/period/export/",
                {**period, "rows": "assessments", "format": "csv"},
            ),
            measure(
                client,
                "period assessments xlsx",
                "/reports/period/export/",
                {**period, "rows": "assessments", "format": "xlsx"},
            ),
            measure_job(
                admin,
                unit,
                "job assessments csv",
                {**period, "rows": "assessments", "format": "csv"},
            ),
            measure_job(
                admin,
                unit,
                "job assessments xlsx",
                {**period, "rows": "assessments", "format": "xlsx"},
            ),
        ]
        rows = {
            e.details["kind"] + "/" + e.details["format"]: e.details["rows"]
            for e in AuditEvent.objects.filter(action=AuditAction.REPORT_EXPORTED)
        }
        print("=" * 72)
        print(
            f"Export benchmark on {connection.vendor}: {Assessment.objects.count()} assessments,"
            f" seeded in {seeded_in:.1f} s"
        )
        for r in results:
            print(
                f"{r['export']:<24} HTTP {r['status']} {r['bytes'] / 2**20:6.1f} MB"
                f" {r['seconds']:6.2f} s  python peak {r['python_peak_mb']:5.1f} MB"
                f"  RSS peak {r['rss_peak_mb']:5.1f} MB"
            )
        print(f"Audited row counts: {rows}")
        worst = max(r["rss_peak_mb"] for r in results)
        verdict = (
            "PASS"
            if worst < MEMORY_LIMIT_MB and all(r["status"] == 200 for r in results)
            else "FAIL"
        )
        print(
            f"Peak RSS of the whole process (seeding included): {worst:.1f} MB;"
            f" limit {MEMORY_LIMIT_MB} MB: {verdict}"
        )
        print("=" * 72)
        return 0 if verdict == "PASS" else 1
    finally:
        if sqlite:
            connection.close()
            shutil.rmtree(TMP, ignore_errors=True)
        else:
            runner.teardown_databases(old)


if __name__ == "__main__":
    sys.exit(main())
