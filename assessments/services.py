"""Writes of the assessments app: record a CIWA-B, mark one entered in error.

The bedside form and the API both call ``assessment_create``. The save path is kept lean
(one read of the admission with its unit's rules, one of its substances, one of the latest
valid assessment, then the inserts), because it runs at the bedside on a phone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.http import HttpRequest
from django.utils import timezone

from assessments import writes
from assessments.facts import facts_of, interval_rules, rules_for_unit, stored_flags
from assessments.inputs import AssessmentInput, Checked, validate
from assessments.limits import VITAL_FIELDS
from assessments.models import (
    Assessment,
    AssessmentFlag,
    AssessmentStatus,
    Escalation,
    EscalationKind,
    EscalationStatus,
    ReassessmentSchedule,
)
from clinical import ciwa_b, risk
from clinical import reassessment as schedule
from clinical.risk import Flag
from clinical.risk.escalation import escalation_for
from cnt_detox.core import audit
from cnt_detox.core.queue import enqueue_after_commit
from patients.intake import intake_facts
from patients.models import Admission

ESCALATION_TASK = "notifications.escalation_raised"
# Fields a clinician would see change when an assessment is marked entered in error.
_ERROR_FIELDS = ("status", "error_reason", "error_marked_by", "error_marked_at")
_SCHEDULE_FIELDS = ["next_due_at", "interval_minutes", "reason", "notify_physician"]
_SCHEDULE_FIELDS += ["based_on", "active", "updated_at"]


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


def _schedule_row(
    admission: Admission, due: schedule.NextDue, based_on: Assessment | None
) -> ReassessmentSchedule:
    return ReassessmentSchedule(
        admission=admission,
        next_due_at=due.due_at,
        interval_minutes=due.interval_minutes,
        reason=due.reason[:200],
        notify_physician=due.notify_physician,
        based_on=based_on,
        active=admission.is_open,
    )


def _upsert_schedule(
    admission: Admission, due: schedule.NextDue, based_on: Assessment | None
) -> None:
    # One INSERT .. ON CONFLICT DO UPDATE: no read-then-write race between two saves.
    ReassessmentSchedule.objects.bulk_create(
        [_schedule_row(admission, due, based_on)],
        update_conflicts=True,
        unique_fields=["admission"],
        update_fields=_SCHEDULE_FIELDS,
    )


def schedule_first_assessment(*, admission: Admission, actor: Any = None) -> None:
    """Make a new admission due for its first CIWA-B at the admission time (issue 20 item 4).

    Called through the core "admission created" hook, inside the admission's transaction.
    ON CONFLICT DO NOTHING: an admission that already has a schedule (an assessment was saved
    first) keeps it; this never moves a schedule.
    """
    due = schedule.admission_due(admitted_at=admission.admitted_at)
    ReassessmentSchedule.objects.bulk_create(
        [
            ReassessmentSchedule(
                admission=admission,
                next_due_at=due.due_at,
                interval_minutes=due.interval_minutes,
                reason=due.reason[:200],
                notify_physician=due.notify_physician,
                based_on=None,
                active=admission.is_open,
            )
        ],
        ignore_conflicts=True,
    )


def _build(
    admission: Admission,
    by: Any,
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
        entered_by=by,
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
    by: Any,
    request: HttpRequest | None,
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
        actor=by,
        action="assessment.create",
        obj=assessment,
        patient=admission.patient,
        request=request,
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
    by: Any,
    entry: AssessmentInput,
    idempotency_key: uuid.UUID | None = None,
    request: HttpRequest | None = None,
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
    assessment = _build(admission, by, entry, checked, now)
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
            _record_outcome(admission, assessment, flags, due, becomes_latest, by, request)
    if not inserted:
        existing = _find_by_key(idempotency_key) if idempotency_key else None
        if existing is None:
            raise IntegrityError("Assessment insert conflicted, but not on its idempotency key.")
        return _replay(existing, fingerprint)
    return CreateResult(assessment, created=True)


def assessment_mark_entered_in_error(
    *, assessment: Assessment, by: Any, reason: str, request: HttpRequest | None = None
) -> Assessment:
    """Mark a wrong entry; it stays on record, struck through. The schedule is recomputed
    from the latest valid assessment left (with the unit's current rules)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ["Say why this entry is wrong (for example: wrong patient)."]}
        )
    now = timezone.now()
    with transaction.atomic():
        before = audit.snapshot(assessment, _ERROR_FIELDS)
        # Conditional UPDATE: two clinicians marking the same entry cannot both succeed.
        changed = Assessment.objects.filter(pk=assessment.pk, status=AssessmentStatus.VALID).update(
            status=AssessmentStatus.ENTERED_IN_ERROR,
            error_reason=reason,
            error_marked_by=by,
            error_marked_at=now,
        )
        if not changed:
            raise ValidationError(
                {"status": ["This assessment is already marked entered in error."]}
            )
        assessment.status = AssessmentStatus.ENTERED_IN_ERROR
        assessment.error_reason = reason
        assessment.error_marked_by = by
        assessment.error_marked_at = now
        admission = assessment.admission
        latest = (
            Assessment.objects.filter(admission=admission, status=AssessmentStatus.VALID)
            .order_by("-assessed_at", "-id")
            .first()
        )
        if latest is not None:
            rules = rules_for_unit(admission.unit)
            due = schedule.next_due(
                assessed_at=latest.assessed_at,
                band=latest.band or None,
                flags=stored_flags(latest),
                rules=interval_rules(rules),
            )
        else:
            # No valid assessment left: the patient needs one now.
            due = schedule.NextDue(now, 0, False, "No valid assessment on record: assess now")
        _upsert_schedule(admission, due, latest)
        audit.record(
            actor=by,
            action="assessment.entered_in_error",
            obj=assessment,
            patient=admission.patient,
            request=request,
            changes=audit.diff(before, audit.snapshot(assessment, _ERROR_FIELDS)),
            details={"next_due_at": due.due_at},
        )
    return assessment


def assessment_viewed(
    *, by: Any, admission: Admission, action: str, obj: Any = None, request: Any = None
) -> None:
    """Audit a read of a patient's assessments (detail, timeline, API list)."""
    audit.record(
        actor=by, action=action, obj=obj or admission, patient=admission.patient, request=request
    )


def escalation_raise(
    *,
    admission: Any,
    reason: str,
    summary: str,
    kind: str = EscalationKind.MEDICATION_OVERRIDE,
    level: str = "high",
) -> Escalation:
    """An escalation that no assessment raised (e.g. a 24-hour medication maximum overridden):
    the reminders feature delivers it along the unit's chain like any other. Runs inside the
    caller's transaction so it exists only if what caused it was saved."""
    return Escalation.objects.create(
        admission=admission,
        assessment=None,
        kind=kind,
        level=level,
        reason=reason[:400],
        summary=summary[:200],
        reasons=[{"kind": kind, "text": reason[:400], "words": summary[:200]}],
    )


def escalation_acknowledge(*, escalation_id: int, actor: Any, now: datetime) -> bool:
    """Close an open escalation (role table: physicians acknowledge escalations).

    A conditional UPDATE, so two physicians acknowledging together close it once; returns
    whether this call closed it. The caller holds the transaction and records the audit event
    of what the physician acknowledged (the notification), which names this outcome.
    """
    return bool(
        Escalation.objects.filter(pk=escalation_id, status=EscalationStatus.OPEN).update(
            status=EscalationStatus.ACKNOWLEDGED, acknowledged_by=actor, acknowledged_at=now
        )
    )
