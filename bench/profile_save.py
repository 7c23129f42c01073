"""Where a CIWA-B save spends its time, in-process: wall time per save, time waiting on the
database, and the top Python functions under cProfile (numbers go into bench/RESULTS.md).

Run from the repository root (not a test); the database named in BENCH_DATABASE_URL gets a
"test_" prefix and is created and dropped by Django's test machinery:
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cnt_bench_profile \
        python bench/profile_save.py
BENCH_SAVES (default 300) sets the number of saves; BENCH_PROFILE_OUT=file.prof also writes
the raw cProfile data.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cnt_bench_profile"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnt_detox.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, get_runner, setup_test_environment  # noqa: E402

SAVES = int(os.environ.get("BENCH_SAVES", "300"))


def profile_calls(profile: cProfile.Profile) -> int:
    """Function calls recorded: a host-independent measure of the Python work."""
    return int(pstats.Stats(profile).total_calls)


def main() -> int:
    from rest_framework.test import APIClient

    from cnt_detox.core import queue
    from cnt_detox.core.models import User
    from cnt_detox.core.roles import Role, user_set_role
    from cnt_detox.core.services import api_token_issue
    from patients.models import Bed, Unit
    from tests.factories import items_for_total, make_admission

    setup_test_environment()
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()
    # Follow-up tasks go to a worker in production; keep the broker out of the measurement.
    queue._hand_off = lambda name, ids: None
    try:
        unit = Unit.objects.create(name="Profile ward", time_zone="Europe/London")
        Bed.objects.create(unit=unit, label="P1")
        nurse = User.objects.create_user(username="profile-nurse", password="x" * 20)
        user_set_role(nurse, Role.NURSE)
        nurse.units.add(unit)
        admission = make_admission(unit, by=nurse)
        client = APIClient()
        _token, key = api_token_issue(actor=nurse)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        from django.utils import timezone

        def body(n: int) -> dict[str, object]:
            return {
                "admission": str(admission.public_id),
                "assessed_at": timezone.now().isoformat(),
                "items": items_for_total(8 + n % 10),
                "vitals": {"heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 80},
                "sedation_level": 0,
            }

        for n in range(20):  # warm-up: imports, URL resolver, first-connection costs
            client.post("/api/v1/assessments/", body(n), format="json")
        # CPU time of this process per save, without the profiler: robust on a loaded host
        # (waiting for the database or for a CPU is not counted), unlike wall-clock time.
        cpu_started = time.process_time()
        for n in range(SAVES):
            client.post(
                "/api/v1/assessments/",
                body(n),
                format="json",
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
        cpu_ms = 1000 * (time.process_time() - cpu_started) / SAVES
        profile = cProfile.Profile()
        sql_seconds = 0.0
        statements = 0
        started = time.perf_counter()
        for n in range(SAVES):
            with CaptureQueriesContext(connection) as ctx:
                profile.enable()
                response = client.post(
                    "/api/v1/assessments/",
                    body(n),
                    format="json",
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
                profile.disable()
            assert response.status_code == 201, response.content
            sql_seconds += sum(float(q["time"]) for q in ctx.captured_queries)
            statements += len(ctx.captured_queries)
        wall = time.perf_counter() - started
        print(f"{SAVES} saves on {connection.vendor}: {1000 * wall / SAVES:.1f} ms per save")
        print(
            f"  SQL (round trips as Django times them): {1000 * sql_seconds / SAVES:.1f} ms, "
            f"{statements / SAVES:.1f} statements per save"
        )
        print(f"  Python (the rest): {1000 * (wall - sql_seconds) / SAVES:.1f} ms per save")
        print(f"  process CPU time per save without the profiler: {cpu_ms:.2f} ms")
        print(f"  function calls per save under the profiler: {profile_calls(profile) / SAVES:.0f}")
        if os.environ.get("BENCH_PROFILE_OUT"):  # for pstats / snakeviz: callers, callees
            profile.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(r"cnt_detox|assessments|clinical|patients", 25)
        stats.sort_stats("tottime").print_stats(20)
        print(out.getvalue())
        return 0
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    sys.exit(main())
