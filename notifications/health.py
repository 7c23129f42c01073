"""Sweep health for /healthz: is the sweep running, and is anything late?

- No heartbeat row yet (fresh install, tests): reported as "never"; that alone is healthy,
  because nothing may be due yet. If something IS due and has no notification, the
  "late" check below catches it, so a never-started beat still turns /healthz red.
- Heartbeat older than NOTIFICATIONS_HEARTBEAT_STALE_SECONDS (180): unhealthy.
- Late: a reminder more than NOTIFICATIONS_LATE_SECONDS (120) past the moment it should have
  gone out: either a due assessment with no notification at all, or a notification still
  not delivered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from assessments.models import ReassessmentSchedule
from notifications import conf
from notifications.models import REMINDER_KINDS, DeliveryStatus, Notification, SweepHeartbeat
from patients.models import AdmissionStatus


def sweep_health(now: dt.datetime | None = None) -> tuple[bool, dict[str, Any]]:
    now = now or timezone.now()
    late_before = now - conf.late_after()
    beat = SweepHeartbeat.objects.filter(pk=1).values_list("last_finished_at", flat=True).first()
    if beat is None:
        heartbeat_ok, last = True, "never"
    else:
        heartbeat_ok, last = now - beat <= conf.heartbeat_stale(), beat.isoformat()
    noticed = Notification.objects.filter(
        admission_id=OuterRef("admission_id"),
        due_at=OuterRef("next_due_at"),
        kind__in=REMINDER_KINDS,
    )
    unnoticed = (
        ReassessmentSchedule.objects.filter(
            active=True,
            admission__status=AdmissionStatus.OPEN,
            admission__discharged_at__isnull=True,
            next_due_at__lt=late_before + conf.lead_time(),
        )
        .exclude(Exists(noticed))
        .count()
    )
    undelivered = Notification.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED],
        delivered_at__isnull=True,
        resolved_at__isnull=True,
        created_at__lt=late_before,
    ).count()
    healthy = heartbeat_ok and unnoticed == 0 and undelivered == 0
    return healthy, {
        "status": "ok" if healthy else "error",
        "last_sweep": last,
        "late_reminders": unnoticed + undelivered,
    }
