"""Writes of dose administration: record a scheduled dose, mark a record entered in error.

Source: /work/shared/domain/tapering.md section 6 (given, held with a reason, refused). One
transaction per service with its audit event; a dose is recorded once (unique constraint on
valid records), and a wrong record is marked "entered in error", never deleted.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinical.taper.administration import administration_time_errors
from cnt_detox.core import audit, hooks
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from cnt_detox.core.offline import recorded_offline_errors
from tapering.completion import plan_complete_if_finished
from tapering.models import (
    DoseAdministration,
    HeldReason,
    Outcome,
    PlanStatus,
    RecordStatus,
    ScheduledDose,
    TaperPlan,
)
from tapering.services.common import PlanNotEditable, _require_clinician

# A ward device's clock may run a little ahead of the server's: not a clinical number.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


class IdempotencyMismatch(Exception):
    """The idempotency key was already used for a different dose record."""


def _replay(
    existing: DoseAdministration,
    scheduled_dose: ScheduledDose,
    outcome: str,
    held_reason: str,
    reason_text: str,
) -> DoseAdministration:
    same = (
        existing.scheduled_dose_id == scheduled_dose.pk
        and existing.outcome == outcome
        and existing.held_reason == (held_reason if outcome == Outcome.HELD else "")
        and existing.reason_text == reason_text.strip()
    )
    if not same:
        raise IdempotencyMismatch(
            "This key was already used for a different dose record. Reload the page to "
            "record another one."
        )
    existing.replayed = True  # type: ignore[attr-defined]
    return existing


def _find_by_key(key: uuid.UUID | None) -> DoseAdministration | None:
    if key is None:
        return None
    return (
        DoseAdministration.objects.select_related("recorded_by").filter(idempotency_key=key).first()
    )


def dose_record(
    *,
    scheduled_dose: ScheduledDose,
    actor: User,
    outcome: str,
    occurred_at: dt.datetime | None = None,
    held_reason: str = "",
    reason_text: str = "",
    sedation_advice_shown: bool = False,
    idempotency_key: uuid.UUID | None = None,
    recorded_offline_at: dt.datetime | None = None,
    client: Client | None = None,
) -> DoseAdministration:
    """Record a scheduled dose as given, held (with a reason) or refused (tapering.md 6).

    Idempotent on ``idempotency_key``: a resend of a stored record returns it (attribute
    ``replayed`` True) even if it would not validate now (the patient was discharged since);
    the same key for a different record raises ``IdempotencyMismatch``.
    ``recorded_offline_at`` (Save pressed on a device that queued the entry offline; see
    cnt_detox.core.offline) is the time of the dose when none was typed.
    """
    _require_clinician(actor)
    existing = _find_by_key(idempotency_key)
    if existing is not None:
        return _replay(existing, scheduled_dose, outcome, held_reason, reason_text)
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    offline_errors = recorded_offline_errors(recorded_offline_at, now=now)
    if offline_errors:
        errors["recorded_offline_at"] = offline_errors
    occurred_at = occurred_at or (None if offline_errors else recorded_offline_at) or now
    if outcome not in Outcome.values:
        errors["outcome"] = [f"Choose one of: {', '.join(Outcome.values)}."]
    if outcome == Outcome.HELD and held_reason not in HeldReason.values:
        errors["held_reason"] = ["Choose why the dose was held."]
    if outcome != Outcome.HELD:
        held_reason = ""
    if held_reason == HeldReason.OTHER and not reason_text.strip():
        errors["reason_text"] = ["Describe the reason when you choose 'Other'."]
    with transaction.atomic():
        plan = (
            TaperPlan.objects.select_for_update(of=("self",))
            .select_related("admission__unit", "signature")
            .get(pk=scheduled_dose.plan_id)
        )
        signature = getattr(plan, "signature", None)
        when = administration_time_errors(
            occurred_at,
            now=now,
            signed_at=signature.signed_at if signature is not None else plan.status_changed_at,
            admitted_at=plan.admission.admitted_at,
            future_tolerance=FUTURE_TOLERANCE,
            zone=plan.admission.unit.tz,
        )
        if when:
            errors["occurred_at"] = when
        if not plan.admission.is_open:
            errors["admission"] = [
                "This patient has been discharged; doses can no longer be recorded. "
                "Check you chose the right patient."
            ]
        if errors:
            raise ValidationError(errors)
        # A completed plan still takes the record of a dose given late (the nurse records what
        # happened); superseded and discontinued plans do not.
        if plan.status not in (PlanStatus.ACTIVE, PlanStatus.COMPLETED):
            raise PlanNotEditable(
                f"This dose belongs to version {plan.version}, which is "
                f"{plan.get_status_display().lower()}; record doses against the active plan."
            )
        record = DoseAdministration(
            scheduled_dose=scheduled_dose,
            outcome=outcome,
            held_reason=held_reason,
            reason_text=reason_text.strip(),
            occurred_at=occurred_at,
            recorded_by=actor,
            recorded_at=now,
            idempotency_key=idempotency_key,
            recorded_offline_at=recorded_offline_at,
            sedation_advice_shown=sedation_advice_shown,
        )
        # Uniqueness (one valid record per dose, the key) is the database's to decide, below.
        record.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            # A concurrent resend with the same key won the race: return its record.
            existing = _find_by_key(idempotency_key)
            if existing is not None:
                return _replay(existing, scheduled_dose, outcome, held_reason, reason_text)
            raise ValidationError(
                {
                    "non_field_errors": [
                        "This dose is already recorded. If that record is wrong, mark it "
                        "entered in error first."
                    ]
                }
            ) from None
        # Close the dose's reminders now (the notifications app fills this hook).
        hooks.dose_recorded(admission_id=plan.admission_id, due_at=scheduled_dose.due_at)
        audit.record(
            actor=actor,
            action=AuditAction.DOSE_RECORDED,
            obj=record,
            patient=plan.admission.patient,
            client=client,
            details={
                "scheduled_dose": scheduled_dose.public_id,
                "outcome": outcome,
                "held_reason": held_reason,
                "mg": scheduled_dose.mg,
                "occurred_at": occurred_at,
                "recorded_offline_at": recorded_offline_at,
            },
        )
        # The last dose recorded finishes the plan at once (same transaction).
        plan_complete_if_finished(plan_id=plan.pk, now=now)
    return record


def dose_mark_in_error(
    *,
    administration: DoseAdministration,
    actor: User,
    reason: str,
    client: Client | None = None,
) -> DoseAdministration:
    """Mark a wrong dose record "entered in error" with a reason; nothing is deleted."""
    _require_clinician(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why this record is wrong."]})
    with transaction.atomic():
        record = DoseAdministration.objects.select_for_update().get(pk=administration.pk)
        if record.status != RecordStatus.VALID:
            raise ValidationError({"non_field_errors": ["Already marked entered in error."]})
        record.status = RecordStatus.ENTERED_IN_ERROR
        record.error_reason = reason
        record.error_marked_by = actor
        record.error_marked_at = timezone.now()
        record.save(update_fields=["status", "error_reason", "error_marked_by", "error_marked_at"])
        audit.record(
            actor=actor,
            action=AuditAction.DOSE_ENTERED_IN_ERROR,
            obj=record,
            patient=record.scheduled_dose.plan.admission.patient,
            client=client,
            changes={"status": {"old": RecordStatus.VALID, "new": record.status}},
            details={"reason": reason},
        )
    return record
