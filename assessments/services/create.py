"""Recording a CIWA-B assessment: idempotent insert, flags, schedule, escalations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone

from assessments import writes
from assessments.facts import facts_of, interval_rules, rules_for_unit
from assessments.inputs import AssessmentInput, Checked, validate
from assessments.limits import VITAL_FIELDS
from assessments.models import (
    Assessment,
    AssessmentFlag,
    AssessmentStatus,
    Escalation,
)
from assessments.services.schedule import _SCHEDULE_FIELDS, _schedule_row
from clinical import ciwa_b, risk
from clinical import reassessment as schedule
from clinical.risk import Flag
from clinical.risk.escalation import escalation_for
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from cnt_detox.core.queue import enqueue_after_commit
from patients.intake import intake_facts
from patients.models import Admission

ESCALATION_TASK = "notifications.escalation_raised"


class IdempotencyMismatch(Exception):
    """The idempotency key was already used for a different entry."""


@dataclass(frozen=True)
class CreateResult:
    assessment: Assessment
    created: bool  # False when this was a retry that returned the original


def _find_by_key(key: uuid.UUID) -> Assessment | None:
    return (
        Assessment.objects.select_related("admission", "entered_by")
        .filter(idempotency_key=key)
        .first()
    )


def _replay(existing: Assessment, fingerprint: str) -> CreateResult:
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyMismatch(
            "This idempotency key was already used for a different assessment. "
            "Open a new form (or send a new key) to record another assessment."
        )
    return CreateResult(existing, created=False)


def _escalations(
    assessment: Assessment, flags: tuple[Flag, ...], next_due: schedule.NextDue
) -> list[Escalation]:
    """At most ONE escalation per assessment, naming every reason, at its highest level
    (risk.md escalation rules; ciwa-b.md interval table; clinical.risk.escalation)."""
    decision = escalation_for(
        flags,
        total=assessment.total,
        band=assessment.band or None,
        unable_reason=assessment.unable_reason or None,
    )
    if decision is None:
        return []
    return [
        Escalation(
            admission=assessment.admission,
            assessment=assessment,
            kind=decision.kind,
            level=str(decision.level),
            reason=decision.text[:400],
            reasons=[{"kind": r.kind, "text": r.text, "words": r.words} for r in decision.reasons],
            summary=decision.summary[:200],
            created_at=assessment.recorded_at,
        )
    ]


def _build(
    admission: Admission,
    actor: User,
    entry: AssessmentInput,
    checked: Checked,
    now: datetime,
) -> Assessment:
    scored = checked.score
    return Assessment(
        admission=admission,
        assessed_at=checked.assessed_at,
        recorded_at=now,
        recorded_offline_at=entry.recorded_offline_at,
        is_late_entry=checked.is_late_entry,
        entered_by=actor,
        items=list(scored.items) if scored else None,
        total=scored.total if scored else None,
        band=str(scored.band) if scored else "",
        instrument_code=scored.instrument_code if scored else ciwa_b.INSTRUMENT_CODE,
        instrument_version=scored.instrument_version if scored else ciwa_b.INSTRUMENT_VERSION,
        unable_reason=checked.unable_reason,
        sedation_level=entry.sedation_level,
        seizure=entry.seizure,
        hallucinations=entry.hallucinations,
        confusion=entry.confusion,
        suicidal_thoughts=entry.suicidal_thoughts,
        notes=entry.notes,
        rules_version=risk.RULES_VERSION,
        **{name: entry.vitals.get(name) for name in VITAL_FIELDS},
    )


def _insert_unless_key_taken(assessment: Assessment) -> bool:
    """INSERT .. ON CONFLICT DO NOTHING RETURNING id; False when the key is already taken.

    The database decides, atomically: a concurrent retry waits for the first insert to commit
    and then inserts nothing (a check-then-insert would let both through to a unique error).
    """
    fields = [f for f in Assessment._meta.local_concrete_fields if not f.primary_key]
    query = InsertQuery(Assessment, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [assessment])
    using = router.db_for_write(Assessment)
    conn = connections[using]
    [(sql, params)] = query.get_compiler(using=using).as_sql()
    with conn.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {conn.ops.quote_name('id')}", params)
        row = cursor.fetchone()
    if row is None:
        return False
    assessment.pk = row[0]
    assessment._state.adding = False
    assessment._state.db = using
    return True


def _record_outcome(
    admission: Admission,
    assessment: Assessment,
    flags: tuple[Flag, ...],
    due: schedule.NextDue,
    becomes_latest: bool,
    actor: User,
    client: Client | None,
) -> None:
    """Flag rows, schedule, escalations (queued after commit) and the audit event.

    Written together by ``writes.insert_together``: one statement on PostgreSQL (issue 12).
    """
    flag_rows = [
        AssessmentFlag(
            admission=admission,
            assessment=assessment,
            code=f.code,
            level=str(f.level),
            reason=f.reason[:300],
            source=f.source[:300],
            raised_at=assessment.recorded_at,
        )
        for f in flags
    ]
    schedule_rows = [_schedule_row(admission, due, assessment)] if becomes_latest else []
    escalations = _escalations(assessment, flags, due)
    event = audit.unsaved_event(
        actor=actor,
        action=AuditAction.ASSESSMENT_CREATED,
        obj=assessment,
        patient=admission.patient,
        client=client,
        details={
            "total": assessment.total,
            "band": assessment.band,
            "unable_reason": assessment.unable_reason,
            "flags": [f.code for f in flags],
            "next_due_at": assessment.next_due_at,
            "late_entry": assessment.is_late_entry,
            "recorded_offline_at": assessment.recorded_offline_at,
            "escalations": [e.kind for e in escalations],
        },
    )
    writes.insert_together(
        [
            writes.Insert(flag_rows),
            writes.Insert(schedule_rows, ["admission"], _SCHEDULE_FIELDS),
            writes.Insert(escalations),
            writes.Insert([event]),
        ]
    )
    for escalation in escalations:
        enqueue_after_commit(ESCALATION_TASK, escalation.pk)


def assessment_create(
    *,
    admission: Admission,
    actor: User,
    entry: AssessmentInput,
    idempotency_key: uuid.UUID | None = None,
    client: Client | None = None,
) -> CreateResult:
    """Record one CIWA-B (or unable to assess): flags, next due time, escalations, audit.

    Idempotent on ``idempotency_key``: the INSERT itself decides (ON CONFLICT on the unique
    index), never a check-then-insert, so concurrent retries all get the one original back.
    A key reused for a different entry raises ``IdempotencyMismatch``.
    """
    now = timezone.now()
    fingerprint = entry.fingerprint(admission)
    try:
        checked = validate(admission, entry, now=now)
    except ValidationError:
        # A retry of a saved entry must get the original even if it would not validate now
        # (the patient was discharged since, or "5 minutes in the future" has moved).
        existing = _find_by_key(idempotency_key) if idempotency_key else None
        if existing is not None and existing.admission_id == admission.pk:
            return _replay(existing, fingerprint)
        raise

    rules = rules_for_unit(admission.unit)
    assessment = _build(admission, actor, entry, checked, now)
    assessment.idempotency_key = idempotency_key
    assessment.request_fingerprint = fingerprint

    # selectors.admission_for_save brings the latest valid assessment and the substance rows
    # with the admission (one SELECT instead of three); other callers read them here.
    if hasattr(admission, "latest_valid"):
        latest = admission.latest_valid
    else:
        latest = (
            Assessment.objects.filter(admission=admission, status=AssessmentStatus.VALID)
            .order_by("-assessed_at", "-id")
            .first()
        )
    substances = getattr(admission, "current_substances", None)
    becomes_latest = latest is None or latest.assessed_at <= assessment.assessed_at
    if becomes_latest:
        previous = latest
    else:
        # A late entry backfilled before the latest: its "previous" is the one before it,
        # and it must not move the schedule back.
        previous = (
            Assessment.objects.filter(
                admission=admission,
                status=AssessmentStatus.VALID,
                assessed_at__lte=assessment.assessed_at,
            )
            .order_by("-assessed_at", "-id")
            .first()
        )

    flags = risk.assessment_flags(
        intake_facts(admission, substances=substances),
        facts_of(assessment),
        facts_of(previous) if previous else None,
        as_of=assessment.assessed_at,
        rise_threshold=rules.rise_threshold,
    )
    due = schedule.next_due(
        assessed_at=assessment.assessed_at,
        band=assessment.band or None,
        flags=flags,
        rules=interval_rules(rules),
    )
    assessment.flags = [
        {"code": f.code, "level": str(f.level), "reason": f.reason, "source": f.source}
        for f in flags
    ]
    top = risk.highest_level(flags)
    assessment.highest_flag_level = str(top) if top else ""
    assessment.next_due_at = due.due_at
    assessment.next_due_reason = due.reason[:200]
    assessment.notify_physician = due.notify_physician
    # The foreign keys were just loaded and the constraints are enforced by the database;
    # validating them here would cost queries and race exactly like a unique validator.
    assessment.full_clean(
        exclude=["admission", "entered_by", "error_marked_by"],
        validate_unique=False,
        validate_constraints=False,
    )

    # No savepoint: the key conflict is handled by ON CONFLICT, not by catching an error, so
    # inside an outer transaction this adds no SAVEPOINT round trips to a lean save path.
    with transaction.atomic(savepoint=False):
        # The INSERT comes first: if the key is taken, nothing else is written.
        inserted = _insert_unless_key_taken(assessment)
        if inserted:
            _record_outcome(admission, assessment, flags, due, becomes_latest, actor, client)
    if not inserted:
        existing = _find_by_key(idempotency_key) if idempotency_key else None
        if existing is None:
            raise IntegrityError("Assessment insert conflicted, but not on its idempotency key.")
        return _replay(existing, fingerprint)
    return CreateResult(assessment, created=True)
