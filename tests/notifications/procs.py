"""Start real Celery worker/beat (and a private redis-server) from a test, on loopback.

Processes use the test's own PostgreSQL database (transactional tests), so what they write
is visible to the test and removed by its flush.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def require_real_services() -> None:
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs Redis: CELERY_BROKER_URL=redis://...")
    if connection.vendor != "postgresql":
        pytest.skip("worker processes need the PostgreSQL test database (DATABASE_URL)")


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    # Private ports below 32768 (outside Linux's ephemeral range), never 6379.
    for port in range(16390, 16490):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for a private redis-server")


class Procs:
    def __init__(self, tmp: Path, broker_url: str, **env: str) -> None:
        self.tmp = tmp
        self.outbox = tmp / "outbox.jsonl"
        self.broker_url = broker_url
        self.env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "DB_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": broker_url,
            "CELERY_BROKER_TIMEOUT_SECONDS": "1",
            "CELERY_VISIBILITY_TIMEOUT_SECONDS": "60",
            "CNT_RUN_DIR": str(tmp),
            "EMAIL_BACKEND": "tests.notifications.outbox.OutboxBackend",
            "NOTIFY_TEST_OUTBOX": str(self.outbox),
            "NOTIFY_TEST_SENDING": str(tmp / "sending.log"),
            "NOTIFICATIONS_SWEEP_INTERVAL_SECONDS": "1",
            "NOTIFICATIONS_REQUEUE_AFTER_SECONDS": "3",
            "NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS": "4",
            "NOTIFICATIONS_RETRY_BASE_SECONDS": "1",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.procs: list[subprocess.Popen] = []
        self.count = 0

    def _start(self, args: list[str], name: str, **env: str) -> subprocess.Popen:
        self.count += 1
        log = open(self.tmp / f"{name}-{self.count}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cnt_detox", *args],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def worker(self, **env: str) -> subprocess.Popen:
        return self._start(
            [
                "worker",
                "-l",
                "INFO",
                "-c",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test{self.count}@%h",
            ],
            "worker",
            **env,
        )

    def beat(self, **env: str) -> subprocess.Popen:
        return self._start(
            ["beat", "-l", "INFO", "-s", str(self.tmp / f"beat-{self.count}.db")], "beat", **env
        )

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.tmp.glob("*.log"))
        )


class PrivateRedis:
    """A redis-server of our own on a private loopback port, to stop, freeze and flush."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._ping, 10, "private redis-server did not start")

    def _ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis(port=self.port, socket_timeout=2)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(5)


def wait_for(check: Callable[[], object], timeout: float, message: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(message)
