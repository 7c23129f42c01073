"""/healthz: sweep heartbeat in the database, 503 when stale or a reminder is late."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import SweepHeartbeat
from notifications.services import sweep
from tests.factories import make_assessment

pytestmark = pytest.mark.django_db


def test_fresh_install_is_healthy_and_says_never(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["sweep"]["last_sweep"] == "never"


def test_recent_sweep_is_healthy(client):
    sweep()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["sweep"]["last_sweep"] != "never"


def test_stale_heartbeat_is_503(client):
    sweep()
    old = timezone.now() - dt.timedelta(minutes=4)
    SweepHeartbeat.objects.update(last_finished_at=old)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["sweep"] == "error"


def test_due_reminder_without_notification_is_late(client, roster, admission, nurse):
    # Due in 12 minutes, so its reminder was due 3 minutes ago, and no sweep ran.
    make_assessment(admission, by=nurse, next_due_minutes=12)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["sweep"]["late_reminders"] == 1
    sweep()
    assert client.get("/healthz").status_code == 200


def test_undelivered_notification_is_late(client, roster, admission, nurse):
    from notifications.models import Notification

    make_assessment(admission, by=nurse, next_due_minutes=5)
    sweep()  # in a test transaction the delivery task is never run
    assert client.get("/healthz").status_code == 200
    Notification.objects.update(created_at=timezone.now() - dt.timedelta(minutes=3))
    assert client.get("/healthz").status_code == 503
