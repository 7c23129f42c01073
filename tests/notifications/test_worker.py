"""Integration: a real Celery worker and beat on the real Redis (CELERY_BROKER_URL) deliver
a critical escalation and a due reminder within a bounded time."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cnt_detox.celery import app
from cnt_detox.core.queue import enqueue_after_commit
from notifications.models import DeliveryStatus, Notification, SweepHeartbeat
from tests.factories import make_assessment
from tests.notifications import outbox
from tests.notifications.conftest import critical_escalation
from tests.notifications.procs import Procs, require_real_services, wait_for

BOUND_SECONDS = 30


@pytest.fixture
def real_celery(transactional_db, tmp_path):
    require_real_services()
    app.conf.task_always_eager = False
    procs = Procs(tmp_path, app.conf.broker_url)
    yield procs
    procs.stop_all()
    app.conf.task_always_eager = True


@pytest.mark.slow
@pytest.mark.redis
def test_critical_assessment_notifies_physician_through_real_worker(
    real_celery, roster, admission, nurse, physician
):
    physician.email, nurse.email = "doc@example.org", "nurse@example.org"
    physician.save()
    nurse.save()
    real_celery.worker()
    real_celery.beat()
    # What the assessments service does on a critical flag: save, then queue by id.
    escalation = critical_escalation(admission, nurse, at=timezone.now())
    enqueue_after_commit("notifications.escalation_raised", escalation.pk)

    def delivered():
        sent = {m["to"][0] for m in outbox.read(real_celery.outbox)}
        return {"doc@example.org", "nurse@example.org"} <= sent

    try:
        wait_for(delivered, BOUND_SECONDS, "escalation not delivered in time")
        # A reminder found by the beat-driven sweep.
        make_assessment(admission, by=nurse, next_due_minutes=10)
        wait_for(
            lambda: Notification.objects.filter(
                kind="assessment_due", status=DeliveryStatus.DELIVERED
            ).exists(),
            BOUND_SECONDS,
            "reminder not delivered in time",
        )
    except AssertionError:
        print(real_celery.logs())
        raise
    assert SweepHeartbeat.objects.exists()
    assert len(outbox.read(real_celery.outbox)) == 3  # each exactly once
