"""Medication doses: record one through the PRN gates, mark one in error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.models import Assessment, AssessmentStatus
from assessments.services import escalation_raise
from clinical.medication import (
    PrnOrderFacts,
    diazepam_equivalent,
    prn_gate,
)
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from medication.models import (
    DoseOutcome,
    DoseStatus,
    MedicationDose,
    MedicationOrder,
    OrderKind,
    OrderStatus,
)
from medication.selectors import benzodiazepine_doses_given
from medication.services.common import GateRefused, _require_clinician
from patients.models import Admission


def _last_valid_ciwa(admission: Admission, at: dt.datetime) -> Assessment | None:
    """The latest valid CIWA-B at or before ``at`` (a dose recorded late is judged by the
    assessments that existed when it was given; 5 min allows for device clocks)."""
    return (
        Assessment.objects.filter(
            admission=admission,
            status=AssessmentStatus.VALID,
            assessed_at__lte=at + dt.timedelta(minutes=5),
        )
        .order_by("-assessed_at", "-id")
        .only("id", "assessed_at")
        .first()
    )


def _nearest_prn(
    admission: Admission, order: MedicationOrder, at: dt.datetime
) -> dt.datetime | None:
    """The given PRN dose of the same medicine nearest to ``at``, before or after (two
    indexed lookups)."""
    given = MedicationDose.objects.filter(
        order__admission=admission,
        order__item=order.item,
        order__kind=OrderKind.PRN,
        status=DoseStatus.VALID,
        outcome=DoseOutcome.GIVEN,
    ).values_list("occurred_at", flat=True)
    before = given.filter(occurred_at__lte=at).order_by("-occurred_at").first()
    after = given.filter(occurred_at__gt=at).order_by("occurred_at").first()
    candidates = [t for t in (before, after) if t is not None]
    return min(candidates, key=lambda t: abs(t - at)) if candidates else None


def _check_time(order: MedicationOrder, occurred_at: dt.datetime, now: dt.datetime) -> None:
    if occurred_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": ["The time cannot be in the future."]})
    if occurred_at < order.signed_at or occurred_at < order.starts_at:
        raise ValidationError({"occurred_at": ["The time is before the order was signed."]})
    if order.stops_at is not None and occurred_at > order.stops_at:
        raise ValidationError({"occurred_at": ["The order had stopped by then."]})


def dose_record(
    *,
    actor: User,
    order: MedicationOrder,
    outcome: str = DoseOutcome.GIVEN,
    occurred_at: dt.datetime | None = None,
    due_at: dt.datetime | None = None,
    reason_text: str = "",
    override_reason: str = "",
    sedation_advice_shown: bool = False,
    client: Client | None = None,
) -> MedicationDose:
    """Record a dose of an order. PRN benzodiazepine doses given pass the gates; a physician
    may override the 24-hour ceiling (never the CIWA-B gate) with a reason, which is audited
    and escalated to the on-call physician."""
    _require_clinician(actor)
    if getattr(actor, "is_admin", False):
        raise PermissionDenied("Admins do not record doses.")
    now = timezone.now()
    occurred_at = occurred_at or now
    if outcome not in DoseOutcome.values:
        raise ValidationError({"outcome": [f"Choose one of: {', '.join(DoseOutcome.values)}."]})
    if outcome != DoseOutcome.GIVEN and not reason_text.strip():
        raise ValidationError({"reason_text": ["Say why the dose was held or refused."]})
    if order.kind == OrderKind.SCHEDULED and due_at is None:
        raise ValidationError({"due_at": ["Name the scheduled time this dose is for."]})
    if order.kind == OrderKind.PRN:
        due_at = None
    override_reason = override_reason.strip()
    if override_reason and not getattr(actor, "is_physician", False):
        raise PermissionDenied("Only a physician may override the 24-hour maximum.")
    try:
        return _record_locked(
            actor=actor,
            order=order,
            outcome=outcome,
            occurred_at=occurred_at,
            due_at=due_at,
            reason_text=reason_text,
            override_reason=override_reason,
            sedation_advice_shown=sedation_advice_shown,
            now=now,
            client=client,
        )
    except GateRefused as refused:
        # After the rollback, so the refused attempt stays in the audit trail.
        audit.record(
            actor=actor,
            action=AuditAction.MEDICATION_DOSE_REFUSED,
            obj=order,
            patient=order.admission.patient,
            client=client,
            details={
                "codes": list(refused.result.codes),
                "total_after_mg": refused.result.total_after_mg,
            },
        )
        raise


def _record_locked(
    *,
    actor: User,
    order: MedicationOrder,
    outcome: str,
    occurred_at: dt.datetime,
    due_at: dt.datetime | None,
    reason_text: str,
    override_reason: str,
    sedation_advice_shown: bool,
    now: dt.datetime,
    client: Client | None,
) -> MedicationDose:
    with transaction.atomic():
        # One PRN decision at a time per patient: the lock makes the 24-hour total read here
        # the one the next recorder sees (two nurses cannot together pass the ceiling).
        admission = Admission.objects.select_for_update().get(pk=order.admission_id)
        locked = MedicationOrder.objects.select_related("item").get(pk=order.pk)
        if locked.status != OrderStatus.ACTIVE:
            raise ValidationError(
                {"non_field_errors": ["This order is no longer active; see the current one."]}
            )
        if not admission.is_open:
            raise ValidationError({"non_field_errors": ["The patient has been discharged."]})
        _check_time(locked, occurred_at, now)
        diazepam_mg = (
            diazepam_equivalent(locked.item.agent, locked.dose_mg)
            if locked.is_benzodiazepine
            else None
        )
        ciwa = None
        total_after = None
        overridden = False
        if outcome == DoseOutcome.GIVEN and locked.is_benzodiazepine:
            given = benzodiazepine_doses_given(admission, occurred_at - dt.timedelta(hours=24))
            if locked.is_prn:
                ciwa = _last_valid_ciwa(admission, occurred_at)
                nearest_prn = _nearest_prn(admission, locked, occurred_at)
                result = prn_gate(
                    PrnOrderFacts(
                        agent=locked.item.agent,
                        dose_mg=locked.dose_mg,
                        min_interval=dt.timedelta(minutes=locked.min_interval_minutes or 0),
                        max_diazepam_mg_24h=locked.max_mg_24h,
                        ciwa_within=dt.timedelta(minutes=locked.ciwa_within_minutes or 0),
                    ),
                    now=occurred_at,
                    last_valid_ciwa_at=ciwa.assessed_at if ciwa else None,
                    nearest_prn_given_at=nearest_prn,
                    doses_given=given,
                )
                total_after = result.total_after_mg
                if not result.ok:
                    if not (result.only_ceiling and override_reason):
                        raise GateRefused(result)
                    overridden = True
            else:
                total_after = sum(
                    (diazepam_equivalent(d.agent, d.mg) for d in given), Decimal(0)
                ) + (diazepam_mg or Decimal(0))
        dose = MedicationDose(
            order=locked,
            due_at=due_at,
            outcome=outcome,
            reason_text=reason_text.strip(),
            mg=locked.dose_mg,
            diazepam_mg=diazepam_mg,
            occurred_at=occurred_at,
            recorded_at=now,
            recorded_by=actor,
            ciwa_assessment=ciwa,
            total_24h_diazepam_mg=total_after,
            override_by=actor if overridden else None,
            override_reason=override_reason if overridden else "",
            sedation_advice_shown=sedation_advice_shown,
        )
        dose.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                dose.save()
        except IntegrityError:
            raise ValidationError(
                {"non_field_errors": ["This dose is already recorded."]}
            ) from None
        audit.record(
            actor=actor,
            action=AuditAction.MEDICATION_DOSE_RECORDED,
            obj=dose,
            patient=admission.patient,
            client=client,
            details={
                "order": locked.public_id,
                "medicine": locked.item.name,
                "outcome": outcome,
                "mg": locked.dose_mg,
                "occurred_at": occurred_at,
                "total_24h_diazepam_mg": total_after,
                "override_reason": dose.override_reason,
            },
        )
        if overridden:
            escalation_raise(
                admission=admission,
                summary=f"{locked.item.name} 24-hour maximum overridden",
                reason=(
                    f"24-hour benzodiazepine maximum overridden by {actor.display_name}: "
                    f"{total_after.normalize():f} mg diazepam equivalent "
                    f"(order maximum {locked.max_mg_24h.normalize():f} mg). "
                    f"Reason: {override_reason}"
                ),
            )
    return dose


def dose_mark_in_error(
    *, actor: User, dose: MedicationDose, reason: str, client: Client | None = None
) -> MedicationDose:
    _require_clinician(actor)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why this record is wrong."]})
    with transaction.atomic():
        locked = MedicationDose.objects.select_for_update().get(pk=dose.pk)
        if locked.status != DoseStatus.VALID:
            raise ValidationError({"non_field_errors": ["Already marked entered in error."]})
        locked.status = DoseStatus.ENTERED_IN_ERROR
        locked.error_reason = reason.strip()
        locked.error_marked_by = actor
        locked.error_marked_at = timezone.now()
        locked.save(update_fields=["status", "error_reason", "error_marked_by", "error_marked_at"])
        audit.record(
            actor=actor,
            action=AuditAction.MEDICATION_DOSE_MARKED_IN_ERROR,
            obj=locked,
            patient=locked.order.admission.patient,
            client=client,
            details={"reason": locked.error_reason},
        )
    return locked
