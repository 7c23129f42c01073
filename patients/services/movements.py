"""Moving an admission: transfer to another bed or unit, discharge."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cnt_detox.core import audit, hooks
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from patients.models import (
    Admission,
    AdmissionMovement,
    AdmissionStatus,
)
from patients.services.admissions import _require_clinician, _resolve_unit_and_bed
from patients.validation import (
    CLOCK_SKEW,
    integrity_error,
    raise_if,
)


def admission_transfer(
    *,
    actor: User,
    admission: Admission,
    unit_id: uuid.UUID | str,
    bed_id: uuid.UUID | str,
    reason: str,
    client: Client | None = None,
    now: dt.datetime | None = None,
) -> Admission:
    """Move an open admission to another bed (of this or another of the actor's units)."""
    _require_clinician(actor)
    now = now or timezone.now()
    if not str(reason or "").strip():
        raise ValidationError({"reason": ["Say why the patient is moved."]})
    try:
        with transaction.atomic():
            admission = (
                Admission.objects.select_for_update()
                .select_related("patient", "unit", "bed")
                .get(pk=admission.pk)
            )
            if not admission.is_open:
                raise ValidationError({"non_field_errors": ["This patient has been discharged."]})
            if str(admission.bed.public_id) == str(bed_id):
                raise ValidationError({"bed": ["The patient is already in this bed."]})
            unit, bed = _resolve_unit_and_bed(actor, unit_id, bed_id)
            before = {"unit": admission.unit.name, "bed": admission.bed.label}
            movement = AdmissionMovement.objects.create(
                admission=admission,
                from_unit=admission.unit,
                from_bed=admission.bed,
                to_unit=unit,
                to_bed=bed,
                moved_at=now,
                moved_by=actor,
                reason=reason.strip(),
            )
            admission.unit, admission.bed = unit, bed
            admission.save(update_fields=["unit", "bed", "updated_at"])
            audit.record(
                actor=actor,
                action=AuditAction.ADMISSION_TRANSFERRED,
                obj=admission,
                patient=admission.patient,
                client=client,
                changes=audit.diff(before, {"unit": unit.name, "bed": bed.label}),
                details={"reason": movement.reason, "movement": str(movement.public_id)},
            )
    except IntegrityError as exc:
        raise integrity_error(exc) from None
    return admission


def admission_discharge(
    *,
    actor: User,
    admission: Admission,
    discharged_at: dt.datetime,
    reason: str,
    client: Client | None = None,
    now: dt.datetime | None = None,
    override: Mapping[str, Any] | None = None,
) -> Admission:
    """Close an open admission: frees the bed; the record stays.

    Features above this app may refuse a discharge through ``hooks.on_discharge`` (discharge
    readiness); ``override`` is handed to them unchanged.
    """
    _require_clinician(actor)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if discharged_at is None:
        errors["discharged_at"] = ["Enter the discharge time."]
    elif discharged_at > now + CLOCK_SKEW:
        errors["discharged_at"] = ["The discharge time cannot be in the future."]
    if not str(reason or "").strip():
        errors["reason"] = ["Give the reason for discharge (e.g. taper completed)."]
    raise_if(errors)
    with transaction.atomic():
        admission = (
            Admission.objects.select_for_update()
            .select_related("patient", "unit", "bed")
            .get(pk=admission.pk)
        )
        if not admission.is_open:
            raise ValidationError({"non_field_errors": ["This patient is already discharged."]})
        hooks.discharge_check(admission=admission, actor=actor, override=override)
        last_move = admission.movements.order_by("-moved_at").values_list("moved_at", flat=True)
        earliest = max([admission.admitted_at, *last_move[:1]])
        # Forms give whole minutes: a discharge typed in the same minute as the last move is
        # not "before" it, so it is stored at the move's exact time.
        if discharged_at < earliest.replace(second=0, microsecond=0):
            raise ValidationError(
                {"discharged_at": ["Discharge cannot be before the admission or last transfer."]}
            )
        discharged_at = max(discharged_at, earliest)
        before = audit.snapshot(admission, ("status", "discharged_at", "discharge_reason"))
        admission.discharged_at = discharged_at
        admission.status = AdmissionStatus.DISCHARGED
        admission.discharge_reason = reason.strip()
        admission.full_clean(exclude=["patient", "unit", "bed", "created_by"])
        admission.save()
        audit.record(
            actor=actor,
            action=AuditAction.ADMISSION_DISCHARGED,
            obj=admission,
            patient=admission.patient,
            client=client,
            changes=audit.diff(
                before, audit.snapshot(admission, ("status", "discharged_at", "discharge_reason"))
            ),
        )
    return admission
