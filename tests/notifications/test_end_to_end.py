"""The issue's "done when", through the assessments API: a severe CIWA-B notifies the
physician, the next one is due in 1 h, a reminder comes 15 min before, and missing it
escalates to the charge nurse (30 min) and the physician (60 min)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import Notification, NotificationKind
from notifications.services import sweep
from tests.factories import items_for_total

K = NotificationKind


@pytest.mark.django_db(transaction=True)  # real commits: the escalation task runs on commit
def test_severe_ciwa_b_notifies_then_reminds_then_escalates(
    api, roster, admission, nurse, physician
):
    now = timezone.now()
    body = {
        "admission": str(admission.public_id),
        "assessed_at": now.isoformat(),
        "items": items_for_total(45),
        "sedation_level": 0,
        "observations": {
            "seizure": False,
            "hallucinations": False,
            "confusion": False,
            "suicidal_thoughts": False,
        },
    }
    response = api(nurse).post("/api/v1/assessments/", body, format="json")
    assert response.status_code == 201, response.content
    # Physician notified at once (eager Celery runs notifications.escalation_raised).
    assert Notification.objects.filter(recipient=physician, kind=K.ESCALATION).exists()
    due = admission.schedule.next_due_at
    assert abs((due - now) - dt.timedelta(hours=1)) < dt.timedelta(seconds=5)
    sweep(now=due - dt.timedelta(minutes=16))
    assert not Notification.objects.filter(kind=K.ASSESSMENT_DUE).exists()
    sweep(now=due - dt.timedelta(minutes=15))
    assert Notification.objects.filter(recipient=nurse, kind=K.ASSESSMENT_DUE).exists()
    sweep(now=due + dt.timedelta(minutes=30))
    assert Notification.objects.filter(recipient=nurse, kind=K.ASSESSMENT_OVERDUE_30).exists()
    sweep(now=due + dt.timedelta(minutes=60))
    assert Notification.objects.filter(recipient=physician, kind=K.ASSESSMENT_OVERDUE_60).exists()
