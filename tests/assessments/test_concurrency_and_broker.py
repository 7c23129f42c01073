"""Saving under stress: ten concurrent retries of one key (PostgreSQL), and a broker that is
down or hung. Transactional tests, so on_commit hooks really fire and threads see commits."""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from assessments.models import Assessment, Escalation
from cnt_detox.celery import app as celery_app
from tests.publish_wait import wait_for_pending

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/assessments/"
BROKER_TIMEOUT = 1  # seconds, for socket connect and read


@pytest.mark.postgres
def test_ten_concurrent_retries_create_one_row(nurse, payload):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    key = str(uuid.uuid4())
    body = payload(22)
    barrier = threading.Barrier(10)

    def submit(_: int):
        client = APIClient()
        client.force_authenticate(nurse)
        try:
            barrier.wait()
            response = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
            return response.status_code, response.json()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(submit, range(10)))
    statuses = [status for status, _ in results]
    assert statuses == [201] * 10, results
    bodies = [body for _, body in results]
    assert all(b == bodies[0] for b in bodies)
    assert Assessment.objects.filter(idempotency_key=key).count() == 1
    assert Assessment.objects.count() == 1

    client = APIClient()
    client.force_authenticate(nurse)
    other = client.post(URL, payload(23), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 422


class HungServer:
    """Accepts TCP connections and never answers: a hung Redis."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.clients: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.clients.append(conn)  # read nothing, answer nothing

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(2)
        for conn in self.clients:
            conn.close()
        self.sock.close()


def _free_closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens


@pytest.fixture
def broker_at(monkeypatch):
    conf = celery_app.conf
    saved = {
        k: conf[k] for k in ("broker_url", "broker_transport_options", "broker_connection_timeout")
    }
    saved_eager = conf.task_always_eager

    def reset_connections() -> None:
        # Both caches must go: the producer pool keeps a reference to the old connection
        # pool, so a test that ran earlier in this process would otherwise still publish
        # to the real broker and the "broker down" case would silently succeed.
        celery_app.pool.force_close_all()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    def point(url: str) -> None:
        reset_connections()
        # Celery reads CELERY_BROKER_URL from the environment before conf.broker_url (CI
        # sets it), so the dead broker must be named there too.
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        conf.task_always_eager = False
        conf.broker_url = url
        conf.broker_connection_timeout = BROKER_TIMEOUT
        # As settings.py configures a Redis broker, with a shorter timeout for the test.
        conf.broker_transport_options = {
            "socket_timeout": BROKER_TIMEOUT,
            "socket_connect_timeout": BROKER_TIMEOUT,
            "max_retries": 1,
        }

    yield point
    reset_connections()
    conf.update(saved)
    conf.task_always_eager = saved_eager


def _critical_save(nurse, payload):
    client = APIClient()
    client.force_authenticate(nurse)
    started = time.monotonic()
    response = client.post(
        URL,
        payload(45, observations={"seizure": True}),
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    return response, time.monotonic() - started


# The save must not wait on the broker at all: publishing happens on a background thread.
# The bound is far below one broker timeout round (connect + retry) plus headroom for a
# loaded CI machine.
LIMIT_SECONDS = 2.0
# Publishing retries once per escalation; each attempt may wait a full socket timeout.
PUBLISH_SETTLE_SECONDS = 2 * 2 * (2 * BROKER_TIMEOUT) + 3


@pytest.mark.parametrize("broker", ["closed_port", "hung"])
def test_save_returns_and_commits_with_broker_down(broker, broker_at, nurse, payload, caplog):
    hung = HungServer() if broker == "hung" else None
    port = hung.port if hung else _free_closed_port()
    broker_at(f"redis://127.0.0.1:{port}/0")
    try:
        with caplog.at_level(logging.WARNING, logger="cnt_detox.queue"):
            response, took = _critical_save(nurse, payload)
            # The failed publish is logged by the background thread once it gives up.
            assert wait_for_pending(PUBLISH_SETTLE_SECONDS)
    finally:
        if hung:
            hung.close()
    assert response.status_code == 201, response.content
    assert took < LIMIT_SECONDS, took
    assessment = Assessment.objects.get(public_id=response.json()["id"])
    # One escalation per assessment, naming every reason (issue 20 item 8).
    assert Escalation.objects.filter(assessment=assessment).count() == 1
    assert "Could not queue notifications.escalation_raised" in caplog.text
