"""The load benchmark, one command: ``.venv/bin/python bench/run.py`` (or ``make bench``).

1. Recreates PostgreSQL databases ``cnt_bench*`` (migrated template, then clones).
2. Seeds the facility (bench/seed.py) and measures query counts in-process.
3. Starts gunicorn (2 sync workers unless ``--workers``, ``--worker-class`` and ``--threads``
   say otherwise) and one Celery worker on Redis, with the baseline views on.
4. Drives the phases from a separate process (bench/driver.py): baselines and each endpoint
   at 1 and 8 clients, the realistic mix at 8 clients, the real logins and signing.
5. Times click-to-confirmation in Debian's chromium (bench/browser.py).
6. Stops the servers (always, also on failure or Ctrl-C), then runs bench/exports.py if it
   exists and the reminder sweep at 3,000 open admissions.
7. Writes bench/out/results.json and bench/RESULTS.md.

A scenario whose route does not exist on this build is reported "not available".
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
PY = sys.executable

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402

_children: list[subprocess.Popen[bytes]] = []


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def start(args: list[str], env: dict[str, str], logfile: Path) -> subprocess.Popen[bytes]:
    """Start a server in its own process group so stop_all() can end it and its children."""
    handle = logfile.open("ab")
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    _children.append(proc)
    return proc


def stop_all() -> None:
    for proc in _children:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
    deadline = time.time() + 15
    for proc in _children:
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    _children.clear()


def _on_signal(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(args: list[str], env: dict[str, str], timeout: int = 900) -> str:
    """Run a step to completion in its own process group; on timeout end the whole group
    (the browser step has chromium children that would otherwise outlive it)."""
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    _children.append(proc)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    finally:
        _children.remove(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed:\n{stdout}\n{stderr}")
    return stdout


def admin_sql(pg: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def recreate_databases(pg: str, prefix: str, env: dict[str, str]) -> dict[str, str]:
    names = {
        k: f"{prefix}{suffix}"
        for k, suffix in (
            ("template", "_template"),
            ("main", ""),
            ("sweep", "_sweep"),
        )
    }
    for name in names.values():
        admin_sql(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_sql(pg, f'CREATE DATABASE "{names["template"]}"')
    run(
        [PY, "manage.py", "migrate", "--noinput", "-v0"],
        {**env, "DATABASE_URL": f"{pg}/{names['template']}"},
    )
    for key in ("main", "sweep"):
        admin_sql(pg, f'CREATE DATABASE "{names[key]}" TEMPLATE "{names["template"]}"')
    # bench/exports.py makes (and drops) its own database from this name: test_<prefix>_exports.
    return {**{k: f"{pg}/{v}" for k, v in names.items()}, "exports": f"{pg}/{prefix}_exports"}


def wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see bench/out/*.log")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (local URL)
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server not ready at {url} after {seconds} s")


def phases(state: dict[str, Any], endpoints: dict[str, Any], a: argparse.Namespace) -> list:
    nurses = [
        {
            "username": u["nurse"],
            "user_id": u["nurse_id"],
            "role": "nurse",
            "unit_public_id": u["public_id"],
            "admissions": u["admissions"],
        }
        for u in state["units"]
    ]
    all_adm = [adm for u in state["units"] for adm in u["admissions"]]
    physicians = [
        {
            "username": p,
            "user_id": None,
            "role": "physician",
            "unit_public_id": state["units"][i]["public_id"],
            "admissions": all_adm,
        }
        for i, p in enumerate(state["physicians"])
    ]
    mixed = nurses[:6] + physicians[:2]
    s = a.seconds
    out = []
    order = ["noop", "floor", "api_save", "page_save", "board", "timeline", "taper_preview"]
    for scenario in order:
        users = physicians if scenario == "taper_preview" else nurses
        for clients in (1, 8):
            out.append(
                {
                    "name": f"{scenario}@{clients}",
                    "scenario": scenario,
                    "clients": clients,
                    "seconds": s,
                    "users": users,
                }
            )
    out.append(
        {"name": "mix@8", "scenario": "mix", "clients": 8, "seconds": a.mix_seconds, "users": mixed}
    )
    out.append(
        {
            "name": "login_cycle@1",
            "scenario": "login_cycle",
            "clients": 1,
            "seconds": s,
            "users": nurses,
        }
    )
    out.append(
        {
            "name": "login_cycle@2",
            "scenario": "login_cycle",
            "clients": 2,
            "seconds": s,
            "users": nurses,
        }
    )
    out.append(
        {
            "name": "sign@1",
            "scenario": "sign",
            "clients": 1,
            "seconds": s,
            "users": physicians,
            "max_iterations": 15,
        }
    )
    available = {k for k, v in endpoints.items() if v}
    return [p for p in out if p["scenario"] == "mix" or p["scenario"] in available]


def machine() -> dict[str, Any]:
    import psycopg
    import redis

    info: dict[str, Any] = {"nproc": os.cpu_count(), "date": dt.datetime.now(dt.UTC).isoformat()}
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0]
    info["memory"] = meminfo.split(":")[1].strip()
    cpu = [line for line in Path("/proc/cpuinfo").read_text().split("\n") if "model name" in line]
    info["cpu"] = cpu[0].split(":")[1].strip() if cpu else "?"
    info["load_before"] = os.getloadavg()
    info["hash_ms_before"] = hash_probe()
    return info | {
        "python": sys.version.split()[0],
        "psycopg": psycopg.__version__,
        "redis_py": redis.__version__,
    }


def hash_probe() -> float:
    """Milliseconds for one password check (PBKDF2, ~0.4 s on this machine when idle).

    Measured before and after the load so a reader can tell how much CPU other work on
    the machine took: every latency here scales with it.
    """
    import hashlib

    # The same work as Django's default hasher (PBKDF2-SHA256, 1,000,000 iterations).
    started = time.perf_counter()
    hashlib.pbkdf2_hmac("sha256", b"benchmark-probe", b"salt", 1_000_000)
    return round((time.perf_counter() - started) * 1000)


def server_versions(pg_url: str, redis_url: str) -> dict[str, str]:
    import psycopg
    import redis

    with psycopg.connect(pg_url) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    r = redis.Redis.from_url(redis_url)
    return {"postgresql": pg_version, "redis": r.info("server")["redis_version"]}


def _only(all_phases: list[dict[str, Any]], names: str) -> list[dict[str, Any]]:
    """The phases named in ``--phases`` (all when empty); an unknown name is an error."""
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    if not wanted:
        return all_phases
    known = {p["name"] for p in all_phases}
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise SystemExit(f"unknown phase(s) {unknown}; known: {sorted(known)}")
    return [p for p in all_phases if p["name"] in wanted]


def main() -> int:
    parser = argparse.ArgumentParser(description="CNT Detox load benchmark")
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--db-prefix", default="cnt_bench")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/10")
    )
    parser.add_argument("--port", type=int, default=18000)
    parser.add_argument("--seconds", type=int, default=10, help="per single-endpoint phase")
    parser.add_argument("--mix-seconds", type=int, default=60)
    parser.add_argument("--assessments", type=int, default=70_000)
    parser.add_argument("--sweep-admissions", type=int, default=3000)
    parser.add_argument("--browser-runs", type=int, default=20)
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--no-results-md", action="store_true", help="only bench/out/")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread only)")
    parser.add_argument(
        "--phases",
        default="",
        help="comma-separated phase names (e.g. api_save@8) to run only those: smoke runs",
    )
    a = parser.parse_args()
    if not a.db_prefix.startswith("cnt_bench"):
        parser.error("--db-prefix must start with cnt_bench")
    if a.workers < 1 or a.threads < 1:
        parser.error("--workers and --threads must be at least 1")
    if a.threads > 1 and a.worker_class != "gthread":
        parser.error("--threads needs --worker-class gthread (sync workers have one thread)")
    signal.signal(signal.SIGTERM, _on_signal)
    OUT.mkdir(exist_ok=True)
    started = time.time()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cnt_detox.settings",
        "DJANGO_ENV": "development",
        "DJANGO_DEBUG": "false",
        "CNT_BENCH_VIEWS": "1",
        "CELERY_BROKER_URL": a.redis,
        "CNT_RUN_DIR": str(OUT / "run"),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    results: dict[str, Any] = {"machine": machine(), "command": " ".join(["python", *sys.argv])}
    results["settings"] = {k: env[k] for k in ("DJANGO_ENV", "DJANGO_DEBUG", "CELERY_BROKER_URL")}
    results["server"] = {
        "workers": a.workers,
        "worker_class": a.worker_class,
        "threads": a.threads if a.worker_class == "gthread" else 1,
    }
    dbs: dict[str, str] = {}
    try:
        log("recreating databases and migrating")
        dbs = recreate_databases(a.pg, a.db_prefix, env)
        results["machine"].update(server_versions(dbs["main"], a.redis))
        main_env = {**env, "DATABASE_URL": dbs["main"]}
        log(f"seeding the facility ({a.assessments} assessments)")
        state_path = OUT / "state.json"
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
            main_env,
        )
        state = json.loads(state_path.read_text())
        results["seed"] = {"seconds": state["seconds"], "counts": state["counts"]}
        log(f"seeded {state['counts']} in {state['seconds']} s")
        run(
            [PY, "bench/inprocess.py", "discover", str(state_path), str(OUT / "endpoints.json")],
            main_env,
        )
        endpoints = json.loads((OUT / "endpoints.json").read_text())
        results["endpoints"] = {k: bool(v) for k, v in endpoints.items()}
        log("available: " + ", ".join(k for k, v in endpoints.items() if v))
        log("counting queries in-process")
        run(
            [PY, "bench/inprocess.py", "queries", str(state_path), str(OUT / "queries.json")],
            main_env,
        )
        results["queries"] = json.loads((OUT / "queries.json").read_text())

        server = results["server"]
        log(
            f"starting gunicorn ({server['workers']} {server['worker_class']} workers, "
            f"{server['threads']} threads each) on :{a.port} and a Celery worker"
        )
        gunicorn = start(
            [
                PY,
                "-m",
                "gunicorn",
                "cnt_detox.wsgi:application",
                "--workers",
                str(server["workers"]),
                "--worker-class",
                server["worker_class"],
                "--threads",
                str(server["threads"]),
                "--bind",
                f"127.0.0.1:{a.port}",
                "--log-level",
                "warning",
                "--timeout",
                "60",
            ],
            main_env,
            OUT / "gunicorn.log",
        )
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
            ],
            main_env,
            OUT / "celery.log",
        )
        wait_ready(f"http://127.0.0.1:{a.port}/bench/noop", gunicorn)
        config = {
            "host": "127.0.0.1",
            "port": a.port,
            "password": state["password"],
            "endpoints": endpoints,
            "phases": _only(phases(state, endpoints, a), a.phases),
        }
        (OUT / "driver-config.json").write_text(json.dumps(config))
        log(f"driving {len(config['phases'])} phases")
        subprocess.run(
            [PY, "bench/driver.py", str(OUT / "driver-config.json"), str(OUT / "load.json")],
            cwd=ROOT,
            env=main_env,
            check=True,
            timeout=1200,
        )
        results["load"] = json.loads((OUT / "load.json").read_text())
        results["load_during"] = os.getloadavg()
        results["hash_ms_after"] = hash_probe()
        if a.skip_browser or not endpoints.get("page_save"):
            results["browser"] = "not available" if not endpoints.get("page_save") else "skipped"
        else:
            log("browser click-to-confirmation")
            try:
                run(
                    [
                        PY,
                        "bench/browser.py",
                        str(OUT / "driver-config.json"),
                        str(OUT / "browser.json"),
                        str(a.browser_runs),
                    ],
                    main_env,
                    timeout=300,
                )
                results["browser"] = json.loads((OUT / "browser.json").read_text())
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                results["browser"] = f"failed: {str(exc)[-800:]}"
    finally:
        log("stopping gunicorn and celery")
        stop_all()
    results["sealer"] = _sealer_catch_up(main_env)
    try:
        _after_load(a, env, dbs, results)
    finally:
        _flush_broker(a.redis)
    results["seconds"] = round(time.time() - started)
    (OUT / "results.json").write_text(json.dumps(results, indent=1, default=str))
    text = report.render(results)
    (OUT / "results.md").write_text(text)
    if not a.no_results_md:
        report.write_results_md(HERE / "RESULTS.md", text)
    log(f"done in {results['seconds']} s: bench/out/results.json, bench/RESULTS.md")
    return 0


def _sealer_catch_up(env: dict[str, str]) -> dict[str, Any]:
    """The run has no beat: every audit row of the load phases waits unsealed (requests never
    wait for the chain). Seal them now, time it, and verify the whole chain."""
    log("sealing the audit rows of the run and verifying the chain")
    try:
        began = time.time()
        sealed = run([PY, "manage.py", "seal_audit"], env, timeout=600).strip()
        seconds = round(time.time() - began, 1)
        verified = run([PY, "manage.py", "verify_audit"], env, timeout=600).strip()
        return {"sealed": sealed, "seconds": seconds, "verify_audit": verified[-300:]}
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return {"error": str(exc)[-800:]}


def _after_load(
    a: argparse.Namespace, env: dict[str, str], dbs: dict[str, str], results: dict[str, Any]
) -> None:
    """Exports and the reminder sweep, each on its own database; a failure is reported."""
    try:
        exports = HERE / "exports.py"
        if a.skip_exports:
            results["exports"] = "skipped"
        elif not exports.exists():
            results["exports"] = "not available (bench/exports.py is not on this build)"
        else:
            log("exports at scale (bench/exports.py)")
            out = run(
                [PY, str(exports)], {**env, "BENCH_DATABASE_URL": dbs["exports"]}, timeout=600
            )
            results["exports"] = out[-4000:]
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        results["exports"] = f"failed: {str(exc)[-1500:]}"
    try:
        log(f"reminder sweep with {a.sweep_admissions} open admissions")
        sweep_env = {**env, "DATABASE_URL": dbs["sweep"]}
        run(
            [
                PY,
                "bench/seed.py",
                "sweep",
                "--out",
                str(OUT / "sweep-state.json"),
                "--open-admissions",
                str(a.sweep_admissions),
            ],
            sweep_env,
        )
        run(
            [
                PY,
                "bench/inprocess.py",
                "sweep",
                str(OUT / "sweep-state.json"),
                str(OUT / "sweep.json"),
            ],
            sweep_env,
        )
        results["sweep"] = json.loads((OUT / "sweep.json").read_text())
        results["sweep"]["seed"] = json.loads((OUT / "sweep-state.json").read_text())
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        results["sweep"] = {"error": str(exc)[-1500:]}


def _flush_broker(url: str) -> None:
    """Drop the tasks this run queued (its own Redis database only, never FLUSHALL)."""
    import redis

    if url.rstrip("/").rsplit("/", 1)[-1] in ("", "0"):
        return  # never flush a shared default database
    redis.Redis.from_url(url).flushdb()


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        stop_all()
