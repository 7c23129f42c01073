"""The notification rows a sweep would insert: reminders, escalations, doses, sources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q

from assessments.models import Escalation, EscalationKind, ReassessmentSchedule
from cnt_detox.core import registry
from notifications import conf, providers
from notifications.directory import Directory
from notifications.models import (
    Notification,
    NotificationKind,
)
from patients.models import Admission, AdmissionStatus

# Kinds that also page the charge nurse at step 0 (risk.md: "Any critical flag: notify the
# on-call physician immediately and the charge nurse"); the others notify the physician.
CHARGE_NURSE_ESCALATIONS = (EscalationKind.CRITICAL_FLAG,)


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


def _insert(rows: list[Notification]) -> None:
    # ON CONFLICT DO NOTHING against the unique constraint: the database, not this process,
    # decides whether a notification already exists, which is what makes concurrent sweeps
    # (two beats, a manual run during a scheduled one) harmless.
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
