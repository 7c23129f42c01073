"""FHIR bulk export benchmark: 100,000 assessments (bench/exports.py's seed, with vital signs
added) exported by the real export run (fhir_r4.export.run_export, as the Celery task calls
it), measuring time, peak Python allocations and peak RSS against the 200 MB target (issue 13).

Run from the repository root (not a test):
    python bench/fhir_export.py                  # throwaway SQLite file in a temp dir
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cnt_fhir_bench python bench/fhir_export.py
"""

from __future__ import annotations

import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Sets up Django on a throwaway database (see its docstring) and gives the seed.
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench import exports as base  # noqa: E402

MEMORY_LIMIT_MB = 200


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def report_progress(job_id: int, stop: threading.Event) -> None:
    """Every 30 s: the job's progress and the current RSS (a long run shows its trend)."""
    from django.db import connections

    from fhir_r4.models import ExportJob

    while not stop.wait(30):
        progress = ExportJob.objects.filter(pk=job_id).values_list("progress", flat=True).first()
        print(f"  progress {progress}, RSS now {current_rss_mb():.1f} MB", flush=True)
    connections.close_all()


def run() -> int:
    from assessments.models import Assessment
    from fhir_r4 import export
    from fhir_r4.models import ExportJob, ExportStatus
    from patients.models import Unit

    t0 = time.perf_counter()
    _unit, admin = base.seed()
    # Every entry with a full set of vitals: seven Observations each on top of the total.
    Assessment.objects.update(
        heart_rate=92, systolic_bp=134, diastolic_bp=84, temperature_c="37.2",
        respiratory_rate=17, spo2=97,
    )  # fmt: skip
    seeded = time.perf_counter() - t0
    rss_before = base.rss_mb()
    print(f"seeded {Assessment.objects.count()} assessments in {seeded:.1f} s, "
          f"RSS {rss_before:.1f} MB", flush=True)  # fmt: skip
    settings.FHIR_EXPORT_DIR = Path(base.TMP) / "fhir-exports"
    job = ExportJob.objects.create(
        requested_by=admin, unit_ids=list(Unit.objects.values_list("pk", flat=True)), types=[]
    )
    stop = threading.Event()
    watcher = threading.Thread(target=report_progress, args=(job.pk, stop), daemon=True)
    watcher.start()
    tracemalloc.start()
    began = time.perf_counter()
    export.run_export(job.pk)
    seconds = time.perf_counter() - began
    stop.set()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    job.refresh_from_db()
    folder = Path(settings.FHIR_EXPORT_DIR) / str(job.public_id)
    size = sum(p.stat().st_size for p in folder.iterdir())
    rss = base.rss_mb()
    ok = job.status == ExportStatus.COMPLETED and rss < MEMORY_LIMIT_MB
    print("=" * 72)
    print(f"FHIR bulk export on {connection.vendor}: {Assessment.objects.count()} assessments")
    for item in job.output:
        print(f"  {item['type']:<26} {item['count']:>9} resources")
    print(f"status {job.status}; {size / 2**20:.1f} MB of NDJSON in {seconds:.1f} s")
    print(f"python peak during the export {peak / 2**20:.1f} MB; peak RSS of the whole process "
          f"(seeding included) {rss:.1f} MB; limit {MEMORY_LIMIT_MB} MB: "
          f"{'PASS' if ok else 'FAIL'}")  # fmt: skip
    print("=" * 72)
    return 0 if ok else 1


def main() -> int:
    from django.test.utils import get_runner

    setup_test_environment()
    if connection.vendor == "sqlite":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        try:
            return run()
        finally:
            connection.close()
            base.shutil.rmtree(base.TMP, ignore_errors=True)
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        return run()
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnt_detox.settings")
    sys.exit(main())
