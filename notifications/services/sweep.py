"""The reminder sweep: insert what is due, resolve what is stale, queue deliveries."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from assessments import selectors as assessment_selectors
from assessments.models import EscalationStatus, ReassessmentSchedule
from cnt_detox.core import registry
from cnt_detox.core.queue import enqueue_after_commit
from notifications import conf, providers
from notifications.cosign import resolve_second_signatures, second_signature_rows
from notifications.models import (
    DOSE_KINDS,
    REMINDER_KINDS,
    DeliveryStatus,
    Notification,
    NotificationKind,
    SweepHeartbeat,
)
from notifications.services.rows import (
    _dose_rows,
    _escalation_rows,
    _insert,
    _open_admission_q,
    _reminder_rows,
    _source_rows,
)

logger = logging.getLogger("notifications")


DELIVER_TASK = "notifications.deliver"


@dataclass(frozen=True)
class SweepResult:
    created: int
    queued: int
    resolved: int


def _resolve_source_stale(now: dt.datetime) -> int:
    resolved = 0
    for source in registry.reminder_sources():
        open_rows = Notification.objects.filter(
            kind__in=source.kinds, resolved_at__isnull=True, acknowledged_at__isnull=True
        )
        keys = set(open_rows.values_list("subject_key", flat=True).distinct())
        stale = keys - source.still_open(keys) if keys else set()
        if stale:
            resolved += open_rows.filter(subject_key__in=stale).update(resolved_at=now)
    return resolved


def _resolve_stale(now: dt.datetime) -> int:
    """Close open reminders whose reason went away, so the bell and delivery skip them."""
    open_rows = Notification.objects.filter(resolved_at__isnull=True, acknowledged_at__isnull=True)
    still_due = ReassessmentSchedule.objects.filter(
        _open_admission_q(),
        admission_id=OuterRef("admission_id"),
        active=True,
        next_due_at=OuterRef("due_at"),
    )
    resolved = (
        open_rows.filter(kind__in=REMINDER_KINDS).exclude(Exists(still_due)).update(resolved_at=now)
    )
    resolved += (
        open_rows.filter(kind=NotificationKind.ESCALATION)
        .filter(Q(escalation__status=EscalationStatus.ACKNOWLEDGED) | ~_open_admission_q())
        .update(resolved_at=now)
    )
    resolved += (
        open_rows.filter(kind__in=DOSE_KINDS).exclude(_open_admission_q()).update(resolved_at=now)
    )
    resolved += resolve_recorded_doses(now)
    resolved += resolve_second_signatures(now)
    return resolved + _resolve_source_stale(now)


def close_dose_reminders(*, admission_id: int, due_at: dt.datetime) -> int:
    """The "dose recorded" hook: close that admission's reminders of doses no longer pending."""
    return resolve_recorded_doses(timezone.now(), admission_id=admission_id)


def resolve_recorded_doses(now: dt.datetime, *, admission_id: int | None = None) -> int:
    """Close open dose reminders whose dose is no longer pending: recorded (given, held,
    refused), or no active plan has a dose at that time (issue 20 item 7). Matched on the
    admission and due time, so reminders of every plan version for that dose close together.
    """
    rows = Notification.objects.filter(
        kind__in=DOSE_KINDS, resolved_at__isnull=True, acknowledged_at__isnull=True
    )
    if admission_id is not None:
        rows = rows.filter(admission_id=admission_id)
    pending = providers.pending_doses().filter(
        plan__admission_id=OuterRef("admission_id"), due_at=OuterRef("due_at")
    )
    return rows.exclude(Exists(pending)).update(resolved_at=now)


def _queue_deliveries(now: dt.datetime, only: Q | None = None) -> int:
    """Queue delivery of notifications that are waiting, plus any whose task was lost.

    A task may be lost (Redis flushed, worker killed mid-send before it acknowledged): a
    pending row not queued for ``requeue_after``, or a row claimed but not finished within
    ``claim_timeout``, is queued again. The task's conditional claim keeps this from ever
    sending twice.
    """
    waiting = Notification.objects.filter(delivered_at__isnull=True, resolved_at__isnull=True)
    if only is not None:
        waiting = waiting.filter(only)
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) & (
        Q(queued_at__isnull=True) | Q(queued_at__lt=now - conf.requeue_after())
    )
    stuck = Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - conf.claim_timeout())
    ids = list(
        waiting.filter(due | stuck)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: conf.queue_batch()]
    )
    if ids:
        Notification.objects.filter(pk__in=ids).update(queued_at=now)
        for pk in ids:
            enqueue_after_commit(DELIVER_TASK, pk)
    return len(ids)


def sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """One pass: create what is due, resolve what is stale, queue deliveries, beat the heart."""
    started = timezone.now()
    now = now or started
    with transaction.atomic():
        escalations = assessment_selectors.open_escalations(raised_by=now)
        rows = (
            _reminder_rows(now)
            + _escalation_rows(escalations, now)
            + _dose_rows(now)
            + _source_rows(now)
            # Plans waiting for a specialist's co-signature (notifications/cosign.py; one query).
            + second_signature_rows(now)
        )
        _insert(rows)
        # Nothing built means nothing inserted with this sweep's ``now``: no COUNT needed.
        created = Notification.objects.filter(created_at=now).count() if rows else 0
        resolved = _resolve_stale(now)
        queued = _queue_deliveries(now)
    finished = timezone.now()
    # An upsert, not get-then-save: two sweeps finishing together must not collide.
    SweepHeartbeat.objects.bulk_create(
        [
            SweepHeartbeat(
                pk=1,
                last_started_at=started,
                last_finished_at=finished,
                last_created=created,
                last_queued=queued,
            )
        ],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["last_started_at", "last_finished_at", "last_created", "last_queued"],
    )
    logger.info("Sweep: %s created, %s resolved, %s queued", created, resolved, queued)
    return SweepResult(created=created, queued=queued, resolved=resolved)


def escalation_notify(*, escalation_id: int, now: dt.datetime | None = None) -> int:
    """Notify step 0 of a just-raised escalation without waiting for the sweep."""
    now = now or timezone.now()
    with transaction.atomic():
        escalations = assessment_selectors.open_escalations(escalation_id=escalation_id)
        if not escalations:
            return 0
        _insert(_escalation_rows(escalations, now))
        return _queue_deliveries(now, only=Q(escalation_id=escalation_id))
