"""Writes of the reminders feature: the sweep, escalation notifications, acknowledgement.

The database is the source of truth for what is due. Every function here takes ``now`` so
tests can freeze the clock. Notifications are inserted with ``ignore_conflicts`` against the
unique (subject, kind, due time, recipient) constraint: a repeated, concurrent or catch-up
sweep creates each notification exactly once. Deliveries are queued after commit and only
by id; a lost task is re-queued by the next sweep (see ``_queue_deliveries``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone

from assessments import selectors as assessment_selectors
from assessments import services as assessment_services
from assessments.models import Escalation, EscalationKind, EscalationStatus, ReassessmentSchedule
from cnt_detox.core import audit, registry
from cnt_detox.core.queue import enqueue_after_commit
from notifications import conf, providers
from notifications.cosign import resolve_second_signatures, second_signature_rows
from notifications.directory import Directory
from notifications.models import (
    DOSE_KINDS,
    REMINDER_KINDS,
    DeliveryStatus,
    Notification,
    NotificationKind,
    SweepHeartbeat,
)
from patients.models import Admission, AdmissionStatus

logger = logging.getLogger("notifications")

DELIVER_TASK = "notifications.deliver"
# Kinds that also page the charge nurse at step 0 (risk.md: "Any critical flag: notify the
# on-call physician immediately and the charge nurse"); the others notify the physician.
CHARGE_NURSE_ESCALATIONS = (EscalationKind.CRITICAL_FLAG,)


@dataclass(frozen=True)
class SweepResult:
    created: int
    queued: int
    resolved: int


def schedule_key(admission_id: int) -> str:
    return f"schedule:{admission_id}"


def escalation_key(escalation_id: int) -> str:
    return f"escalation:{escalation_id}"


def dose_key(key: str) -> str:
    return f"dose:{key}"[:80]


def _rows(recipients: Iterable[int | None], now: dt.datetime, **fields: Any) -> list[Notification]:
    seen: set[int] = set()
    rows = []
    for pk in recipients:
        if pk is None or pk in seen:
            continue
        seen.add(pk)
        rows.append(Notification(recipient_id=pk, created_at=now, next_attempt_at=now, **fields))
    return rows


def _open_admission_q(prefix: str = "admission__") -> Q:
    return Q(**{f"{prefix}status": AdmissionStatus.OPEN, f"{prefix}discharged_at__isnull": True})


# What _reminder_rows reads of a schedule, its admission and its last assessment: the
# admission's 40 columns and the assessment's JSON are not fetched (the admission is still
# joined for its open-stay check).
REMINDER_SCHEDULE_COLUMNS = (
    "admission_id",
    "next_due_at",
    "based_on_id",
    "admission__unit_id",
    "based_on__entered_by_id",
)


def _reminder_rows(now: dt.datetime) -> list[Notification]:
    """Assessments due within the lead time, and overdue by 30 and 60 minutes (risk.md)."""
    lead, o30, o60 = conf.lead_time(), conf.overdue_charge_nurse(), conf.overdue_physician()

    # Only schedules still missing the reminder of their current stage for their current due
    # time: once a stage's rows exist, an idle sweep skips the schedule in SQL (NOT EXISTS on
    # the notification's unique key) instead of rebuilding thousands of rows for ON CONFLICT
    # to discard. A stage's rows are inserted together, so one existing row means the stage is
    # done (a later stage still starts its own rows). A unit with nobody to notify for a stage
    # keeps its schedules selected, at no more cost than before.
    def stage_sent(kind: str) -> Exists:
        return Exists(
            Notification.objects.filter(
                admission_id=OuterRef("admission_id"),
                due_at=OuterRef("next_due_at"),
                kind=kind,
            )
        )

    missing = (
        Q(next_due_at__gt=now - o30) & ~stage_sent(NotificationKind.ASSESSMENT_DUE)
        | Q(next_due_at__lte=now - o30, next_due_at__gt=now - o60)
        & ~stage_sent(NotificationKind.ASSESSMENT_OVERDUE_30)
        | Q(next_due_at__lte=now - o60) & ~stage_sent(NotificationKind.ASSESSMENT_OVERDUE_60)
    )
    schedules = list(
        ReassessmentSchedule.objects.filter(_open_admission_q(), active=True)
        .filter(next_due_at__lte=now + lead)
        .filter(missing)
        .select_related("admission", "based_on")
        .only(*REMINDER_SCHEDULE_COLUMNS)
    )
    directory = Directory(s.admission.unit_id for s in schedules)
    rows: list[Notification] = []
    for s in schedules:
        unit_id, due = s.admission.unit_id, s.next_due_at
        people = directory.for_unit(unit_id)
        common = {"admission_id": s.admission_id, "subject_key": schedule_key(s.admission_id)}
        if now < due + o30:
            # Due soon (or just due): the nurse who did the last assessment and the charge
            # nurse. It stays relevant until the 30-minute overdue notice takes over, so a
            # sweep catching up after an outage still sends it.
            last_nurse = s.based_on.entered_by_id if s.based_on else None
            if not directory.is_member(unit_id, last_nurse):
                last_nurse = None
            rows += _rows(
                [last_nurse, *people.charge_nurse_ids()],
                now,
                kind=NotificationKind.ASSESSMENT_DUE,
                due_at=due,
                **common,
            )
        if now >= due + o30:
            rows += _rows(
                people.charge_nurse_ids(),
                now,
                kind=NotificationKind.ASSESSMENT_OVERDUE_30,
                due_at=due,
                **common,
            )
        if now >= due + o60:
            rows += _rows(
                people.physician_ids(),
                now,
                kind=NotificationKind.ASSESSMENT_OVERDUE_60,
                due_at=due,
                **common,
            )
    return rows


def _escalation_rows(escalations: list[Escalation], now: dt.datetime) -> list[Notification]:
    """Step 0 at once; step k after k chain delays while still unacknowledged (risk.md)."""
    delay = conf.chain_delay()
    directory = Directory(e.admission.unit_id for e in escalations)
    rows: list[Notification] = []
    for esc in escalations:
        people = directory.for_unit(esc.admission.unit_id)
        common = {
            "admission_id": esc.admission_id,
            "subject_key": escalation_key(esc.pk),
            "escalation_id": esc.pk,
            "kind": NotificationKind.ESCALATION,
            "detail": esc.reason[:300],
        }
        first = list(people.physician_ids())
        if esc.kind in CHARGE_NURSE_ESCALATIONS:
            first += people.charge_nurse_ids()
        rows += _rows(first, now, step=0, due_at=esc.created_at, **common)
        notified = set(first)
        for step in range(1, people.chain_length() + 1):
            due = esc.created_at + step * delay
            if due > now:
                break
            recipients = people.chain_step(step, notified)
            notified.update(recipients)
            rows += _rows(recipients, now, step=step, due_at=due, **common)
    return rows


def _dose_rows(now: dt.datetime) -> list[Notification]:
    doses = providers.due_doses(now)
    if not doses:
        return []
    admissions = dict(
        Admission.objects.filter(
            pk__in={d.admission_id for d in doses},
            status=AdmissionStatus.OPEN,
            discharged_at__isnull=True,
        ).values_list("pk", "unit_id")
    )
    directory = Directory(set(admissions.values()))
    late = conf.dose_late()
    rows: list[Notification] = []
    for dose in doses:
        unit_id = admissions.get(dose.admission_id)
        if unit_id is None or now < dose.due_at - conf.lead_time():
            continue
        kind = (
            NotificationKind.DOSE_LATE if now >= dose.due_at + late else NotificationKind.DOSE_DUE
        )
        rows += _rows(
            directory.for_unit(unit_id).charge_nurse_ids(),
            now,
            kind=kind,
            admission_id=dose.admission_id,
            subject_key=dose_key(dose.key),
            due_at=dose.due_at,
            detail=dose.label[:300],
        )
    return rows


def _source_rows(now: dt.datetime) -> list[Notification]:
    """Reminders of features registered in core.registry (follow-up appointments)."""
    reminders = [r for source in registry.reminder_sources() for r in source.due(now)]
    if not reminders:
        return []
    directory = Directory({r.unit_id for r in reminders})
    rows: list[Notification] = []
    for r in reminders:
        people = directory.for_unit(r.unit_id)
        recipients = list(people.charge_nurse_ids())
        if r.to_physicians:
            recipients += people.physician_ids()
        rows += _rows(
            recipients,
            now,
            kind=r.kind,
            admission_id=r.admission_id,
            subject_key=r.subject_key[:80],
            due_at=r.due_at,
            detail=r.detail[:300],
        )
    return rows


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


def _insert(rows: list[Notification]) -> None:
    # ON CONFLICT DO NOTHING against the unique constraint: the database, not this process,
    # decides whether a notification already exists, which is what makes concurrent sweeps
    # (two beats, a manual run during a scheduled one) harmless.
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)


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


def notification_acknowledge(
    *, notification: Notification, user: Any, request: HttpRequest | None = None
) -> Notification:
    """The recipient has seen it. A physician's acknowledgement also closes the escalation
    (role table: physicians acknowledge escalations), which stops the chain and clears the
    other recipients' copies."""
    now = timezone.now()
    with transaction.atomic():
        changed = Notification.objects.filter(
            pk=notification.pk, recipient=user, acknowledged_at__isnull=True
        ).update(acknowledged_at=now, acknowledged_by=user)
        notification.refresh_from_db()
        escalation_closed = False
        if notification.escalation_id and user.is_physician:
            escalation_closed = assessment_services.escalation_acknowledge(
                escalation_id=notification.escalation_id, actor=user, now=now
            )
            if escalation_closed:
                Notification.objects.filter(
                    escalation_id=notification.escalation_id,
                    acknowledged_at__isnull=True,
                    resolved_at__isnull=True,
                ).update(resolved_at=now)
        if changed:
            audit.record(
                actor=user,
                action="notification.acknowledge",
                obj=notification,
                patient=notification.admission.patient,
                request=request,
                details={
                    "kind": notification.kind,
                    "due_at": notification.due_at,
                    "escalation_acknowledged": escalation_closed,
                },
            )
    return notification
