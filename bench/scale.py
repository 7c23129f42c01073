"""Two-instance proof: two gunicorn instances, two Celery workers and two beats on one
PostgreSQL database and one Redis database; nurses spread over both instances.

    python bench/scale.py [--seconds-one 60] [--seconds-two 180] [--clients 8]

Phase 1 drives instance A alone, phase 2 both (each client alternates); every save is API
with an Idempotency-Key, and every tenth save is sent again with the same key to the *other*
instance (a retry after a lost answer). Board views are mixed in; the beats run the reminder
sweep and the audit sealer throughout. At the end it checks: saves stored = saves
acknowledged (none lost, none duplicated), no duplicate notification, no due reminder without
its notification, the sealer caught up and verify_audit passes; and audited throughput with
two instances against one. Results: bench/out/scale.json and a block printed for RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
OUT = HERE / "out"
PY = sys.executable

from bench.driver import Client, session_login, token_login  # noqa: E402
from bench.run import admin_sql, hash_probe, run, start, stop_all, wait_ready  # noqa: E402


def drive(
    state: dict[str, Any], ports: list[int], seconds: float, clients: int, seed: int
) -> dict[str, Any]:
    """Closed loop: each client saves (80%) or views the board (20%) until time is up."""
    acked: list[dict[str, str]] = []
    errors: list[str] = []
    counts = {"saves": 0, "retries": 0, "boards": 0}
    lock = threading.Lock()
    units = state["units"]
    # Logins (a password hash each) happen before the clock starts.
    clock: dict[str, float] = {}

    def start_clock() -> None:  # runs once, before any client is released
        clock["began"] = time.time()
        clock["deadline"] = clock["began"] + seconds

    ready = threading.Barrier(clients + 1, action=start_clock)

    def client_loop(n: int) -> None:
        rng = random.Random(seed * 100 + n)
        unit = units[n % len(units)]
        conns = [Client("127.0.0.1", p) for p in ports]
        logged_in = True
        for c in conns:
            ok = session_login(c, unit["nurse"], state["password"])
            if not (ok and token_login(c, unit["nurse"], state["password"])):
                with lock:
                    errors.append(f"login failed on :{c.port}")
                logged_in = False
        ready.wait()
        if not logged_in:
            return
        i = 0
        while time.time() < clock["deadline"]:
            conn = conns[i % len(conns)]
            i += 1
            if rng.random() < 0.2:
                resp = conn.request("GET", f"/reports/board/rows/?unit={unit['public_id']}")
                with lock:
                    counts["boards"] += 1
                    if resp.status != 200:
                        errors.append(f"board {resp.status}")
                continue
            adm = rng.choice(unit["admissions"])
            items = [0] * 20
            for _ in range(rng.choice([2, 5, 8, 12])):
                items[rng.randrange(20)] = min(4, items[rng.randrange(20)] + 1)
            payload = {"admission": adm["public_id"], "items": items}
            key = str(uuid.uuid4())
            resp = conn.post_json("/api/v1/assessments/", payload, {"Idempotency-Key": key})
            if resp.status != 201:
                with lock:
                    errors.append(f"save {resp.status}: {resp.body[:120]!r}")
                continue
            body = resp.json()
            with lock:
                counts["saves"] += 1
                acked.append({"key": key, "id": str(body.get("id") or body.get("public_id"))})
            if i % 10 == 0:
                other = conns[i % len(conns)]
                again = other.post_json("/api/v1/assessments/", payload, {"Idempotency-Key": key})
                with lock:
                    counts["retries"] += 1
                    if again.status != 201 or again.json().get("id") != body.get("id"):
                        errors.append(f"retry {again.status}")

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    for t in threads:
        t.join()
    elapsed = time.time() - clock["began"]
    return {
        "ports": ports,
        "seconds": round(elapsed, 1),
        **counts,
        "saves_per_s": round(counts["saves"] / elapsed, 2),
        "errors": len(errors),
        "error_samples": errors[:5],
        "acked": acked,
    }


def checks(env: dict[str, str], acked: list[dict[str, str]]) -> dict[str, Any]:
    """Database-side truth, read by a Django process of its own."""
    keys = OUT / "scale-acked.json"
    keys.write_text(json.dumps(acked))
    code = f"""
import json
from django.db.models import Count
from assessments.models import Assessment
from notifications.models import Notification
from notifications.health import sweep_health
acked = json.load(open({str(keys)!r}))
keys = [a["key"] for a in acked]
stored = Assessment.objects.filter(idempotency_key__in=keys)
by_key = stored.values("idempotency_key").annotate(n=Count("id")).filter(n__gt=1).count()
dups = (Notification.objects.values("subject_key", "kind", "due_at", "recipient_id")
        .annotate(n=Count("id")).filter(n__gt=1).count())
ok, health = sweep_health()
print(json.dumps({{"acknowledged": len(set(keys)), "stored": stored.count(),
    "duplicated_keys": by_key, "notifications": Notification.objects.count(),
    "duplicate_notifications": dups, "late_reminders": health.get("late_reminders")}}))
"""
    out = run([PY, "manage.py", "shell", "-c", code], env).strip().splitlines()[-1]
    return json.loads(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="cnt_bench_scale")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--ports", default="18410,18411")
    parser.add_argument("--seconds-one", type=int, default=60)
    parser.add_argument("--seconds-two", type=int, default=180)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--assessments", type=int, default=5000)
    a = parser.parse_args()
    if not a.db.startswith("cnt_bench"):
        parser.error("--db must start with cnt_bench")
    OUT.mkdir(exist_ok=True)
    ports = [int(p) for p in a.ports.split(",")]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cnt_detox.settings",
        "DJANGO_ENV": "development",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"{a.pg}/{a.db}",
        "CELERY_BROKER_URL": a.redis,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        # The sweep every 10 s so due reminders happen within the run; sealer every 5 s.
        "NOTIFICATIONS_SWEEP_INTERVAL_SECONDS": "10",
        "AUDIT_SEAL_INTERVAL_SECONDS": "5",
    }
    result: dict[str, Any] = {"hash_ms_before": hash_probe(), "load_before": os.getloadavg()}
    try:
        admin_sql(
            a.pg, f'DROP DATABASE IF EXISTS "{a.db}" WITH (FORCE)', f'CREATE DATABASE "{a.db}"'
        )
        run([PY, "manage.py", "migrate", "--noinput", "-v0"], env)
        state_path = OUT / "scale-state.json"
        run(
            [
                PY,
                "bench/seed.py",
                "facility",
                "--out",
                str(state_path),
                "--assessments",
                str(a.assessments),
            ],
            env,
        )
        state = json.loads(state_path.read_text())
        for n, port in enumerate(ports):
            web = start(
                [
                    PY,
                    "-m",
                    "gunicorn",
                    "cnt_detox.wsgi:application",
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                ],
                env,
                OUT / f"scale-web{n}.log",
            )
            # Not /healthz: it is 503 until the first sweep has noticed the seeded due reminders.
            wait_ready(f"http://127.0.0.1:{port}/accounts/login/", web)
            start(
                [
                    PY,
                    "-m",
                    "celery",
                    "-A",
                    "cnt_detox",
                    "worker",
                    "--pool",
                    "solo",
                    "--loglevel",
                    "WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "-n",
                    f"scale{n}@%h",
                ],
                env,
                OUT / f"scale-worker{n}.log",
            )
            start(
                [
                    PY,
                    "-m",
                    "celery",
                    "-A",
                    "cnt_detox",
                    "beat",
                    "--loglevel",
                    "WARNING",
                    "--schedule",
                    str(OUT / f"scale-beat{n}.db"),
                ],
                env,
                OUT / f"scale-beat{n}.log",
            )
        one = drive(state, ports[:1], a.seconds_one, a.clients, seed=1)
        two = drive(state, ports, a.seconds_two, a.clients, seed=2)
        # Let the beats' sealer and sweep catch up, then stop everything and check.
        time.sleep(15)
    finally:
        stop_all()
    acked = one.pop("acked") + two.pop("acked")
    result.update(one_instance=one, two_instances=two)
    result["hash_ms_after"] = hash_probe()
    result["load_after"] = os.getloadavg()
    result["checks"] = checks(env, acked)
    sealed = run([PY, "manage.py", "seal_audit"], env).strip()
    result["left_for_the_final_seal"] = sealed
    try:
        result["verify_audit"] = run([PY, "manage.py", "verify_audit"], env).strip()[-300:]
    except RuntimeError as exc:
        result["verify_audit"] = f"FAILED: {str(exc)[-300:]}"
    c = result["checks"]
    result["throughput_ratio"] = round(two["saves_per_s"] / max(one["saves_per_s"], 0.01), 2)
    (OUT / "scale.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    lost = c["acknowledged"] - c["stored"]
    print(
        f"\nsaves acknowledged {c['acknowledged']}, stored {c['stored']} (lost {lost}, "
        f"duplicated {c['duplicated_keys']}); retries to the other instance "
        f"{one['retries'] + two['retries']}; notifications {c['notifications']} "
        f"(duplicates {c['duplicate_notifications']}, late reminders {c['late_reminders']}); "
        f"saves/s one instance {one['saves_per_s']}, two {two['saves_per_s']} "
        f"(x{result['throughput_ratio']}); {result['verify_audit']}"
    )
    return 0 if lost == 0 and c["duplicated_keys"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
