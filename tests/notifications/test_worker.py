"""Integration: a real Celery worker and beat on the real Redis (CELERY_BROKER_URL) deliver
a critical escalation and a due reminder within a bounded time."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cnt_detox.celery import app
from notifications.models import DeliveryStatus, Notification, SweepHeartbeat
from tests.factories import items_for_total, make_assessment
from tests.notifications import outbox
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
    real_celery, api, roster, admission, nurse, physician
):
    physician.email, nurse.email = "doc@example.org", "nurse@example.org"
    physician.save()
    nurse.save()
    real_celery.worker()
    real_celery.beat()
    # A nurse records a CIWA-B with a seizure (critical flag) through the assessments API;
    # its service queues notifications.escalation_raised on commit, to the real Redis.
    body = {
        "admission": str(admission.public_id),
        "assessed_at": timezone.now().isoformat(),
        "items": items_for_total(45),
        "sedation_level": 0,
        "observations": {
            "seizure": True,
            "hallucinations": False,
            "confusion": False,
            "suicidal_thoughts": False,
        },
    }
    assert api(nurse).post("/api/v1/assessments/", body, format="json").status_code == 201

    def delivered():
        sent = {m["to"][0] for m in outbox.read(real_celery.outbox)}
        return {"doc@example.org", "nurse@example.org"} <= sent

    try:
        wait_for(delivered, BOUND_SECONDS, "escalation not delivered in time")
        # A reminder found by the beat-driven sweep (a schedule due in 10 minutes).
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
    # Each notification emailed exactly once (a severe score with a seizure raises two
    # escalations, critical flag and severe band, so the physician has two).
    emailed = Notification.objects.filter(email_sent=True).count()
    assert len(outbox.read(real_celery.outbox)) == emailed >= 3
