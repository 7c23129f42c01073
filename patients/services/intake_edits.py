"""Editing the intake of an admission: fields, substances, admission time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from patients.intake import compute_intake
from patients.models import (
    Admission,
    SubstanceUse,
)
from patients.services.admissions import (
    BEFORE_BIRTH,
    _before_birth,
    _require_clinician,
    equivalence_table_id,
)
from patients.validation import (
    AUDITED_ADMISSION_FIELDS,
    CLOCK_SKEW,
    HISTORY_FIELDS,
    PATIENT_FIELDS,
    SUBSTANCE_FIELDS,
    build_substances,
    full_clean_rows,
    raise_if,
    substance_snapshot,
    validate_patient,
    validate_substances,
)


def admission_update_intake(
    *,
    actor: User,
    admission: Admission,
    patient: Mapping[str, Any] | None = None,
    admitted_at: dt.datetime | None = None,
    substances: Sequence[Mapping[str, Any]] | None = None,
    history: Mapping[str, Any] | None = None,
    referral_notes: str | None = None,
    other_substances: str | None = None,
    client: Client | None = None,
    now: dt.datetime | None = None,
) -> Admission:
    """Edit the intake and recompute everything derived from it; one audit row with every
    old and new value. ``substances``, when given, is the whole new list: rows are updated
    in place by position, rows beyond it are marked entered in error (never deleted)."""
    _require_clinician(actor)
    now = now or timezone.now()
    patient = {k: v for k, v in (patient or {}).items() if k in PATIENT_FIELDS and k != "mrn"}
    _validate_intake_edit(patient, substances, admitted_at, now)

    with transaction.atomic():
        # Locked: two people editing the same intake must not interleave their recomputes.
        admission = (
            Admission.objects.select_for_update()
            .select_related("patient", "unit", "bed")
            .get(pk=admission.pk)
        )
        person = admission.patient
        current = list(admission.substances.all())
        before = _intake_snapshot(admission, current)
        _apply_intake_fields(
            admission,
            patient=patient,
            admitted_at=admitted_at,
            history=history,
            referral_notes=referral_notes,
            other_substances=other_substances,
        )
        rows, removed = current, []
        if substances is not None:
            rows, removed = _merge_substances(admission, current, substances)
        compute_intake(admission, rows, table_id=equivalence_table_id())
        _full_clean_intake(admission)

        changes = audit.diff(before, _intake_snapshot(admission, rows))
        if not changes:
            return admission
        _save_intake(admission, rows, removed)
        audit.record(
            actor=actor,
            action=AuditAction.ADMISSION_UPDATED,
            obj=admission,
            patient=person,
            client=client,
            changes=changes,
            details={"substances_marked_in_error": [str(r.public_id) for r in removed]},
        )
    return admission


def _validate_intake_edit(
    patient: Mapping[str, Any],
    substances: Sequence[Mapping[str, Any]] | None,
    admitted_at: dt.datetime | None,
    now: dt.datetime,
) -> None:
    """Every field error of an intake edit at once, before anything is locked or changed."""
    errors: dict[str, list[str]] = {}
    validate_patient(patient, errors, today=now.date())
    if substances is not None:
        validate_substances(substances, errors, now=now)
    if admitted_at is not None and admitted_at > now + CLOCK_SKEW:
        errors["admitted_at"] = ["The admission time cannot be in the future."]
    raise_if(errors)


def _intake_snapshot(admission: Admission, rows: Sequence[SubstanceUse]) -> dict[str, Any]:
    """The audited values of an intake: admission, patient (``patient.`` keys), substances."""
    person = admission.patient
    return {
        **audit.snapshot(admission, AUDITED_ADMISSION_FIELDS),
        **{f"patient.{k}": v for k, v in audit.snapshot(person, PATIENT_FIELDS).items()},
        "substances": substance_snapshot(rows),
    }


def _apply_intake_fields(
    admission: Admission,
    *,
    patient: Mapping[str, Any],
    admitted_at: dt.datetime | None,
    history: Mapping[str, Any] | None,
    referral_notes: str | None,
    other_substances: str | None,
) -> None:
    """Set the edited patient and admission fields (unsaved); None leaves a field as it is."""
    person = admission.patient
    for name, value in patient.items():
        setattr(person, name, str(value).strip() if name != "date_of_birth" else value)
    if admitted_at is not None and admitted_at != admission.admitted_at:
        _check_new_admission_time(admission, admitted_at)
        admission.admitted_at = admitted_at
    if _before_birth(admission.admitted_at, person.date_of_birth):
        field = "admitted_at" if admitted_at is not None else "patient.date_of_birth"
        raise ValidationError({field: [BEFORE_BIRTH]})
    for name, value in (history or {}).items():
        if name in HISTORY_FIELDS:
            setattr(admission, name, value)
    if referral_notes is not None:
        admission.referral_notes = referral_notes
    if other_substances is not None:
        admission.other_substances = other_substances


def _merge_substances(
    admission: Admission,
    current: list[SubstanceUse],
    substances: Sequence[Mapping[str, Any]],
) -> tuple[list[SubstanceUse], list[SubstanceUse]]:
    """The new substance list over the current rows: updated in place by position, new rows
    past the end, and the rows beyond the new list returned as removed (to mark in error)."""
    fresh = build_substances(admission, substances)
    rows = []
    for i, new in enumerate(fresh):
        if i < len(current):
            row = current[i]
            for name in SUBSTANCE_FIELDS:
                setattr(row, name, getattr(new, name))
            rows.append(row)
        else:
            rows.append(new)
    full_clean_rows(rows)
    return rows, current[len(fresh) :]


def _full_clean_intake(admission: Admission) -> None:
    try:
        admission.patient.full_clean(exclude=["mrn"])
    except ValidationError as exc:
        raise ValidationError({f"patient.{k}": v for k, v in exc.message_dict.items()}) from None
    admission.full_clean(exclude=["patient", "unit", "bed", "created_by"])


def _save_intake(
    admission: Admission, rows: list[SubstanceUse], removed: list[SubstanceUse]
) -> None:
    # Substance rows are never deleted: rows past the new list are marked entered in error.
    admission.patient.save()
    admission.save()
    for row in rows:
        row.save()
    for row in removed:
        row.entered_in_error = True
        row.save(update_fields=["entered_in_error"])


def _check_new_admission_time(admission: Admission, admitted_at: dt.datetime) -> None:
    """A corrected admission time moves the initial placement with it, but never past a later
    transfer or the discharge (the census is rebuilt from these rows)."""
    movements = list(admission.movements.order_by("moved_at", "id"))
    later = [m.moved_at for m in movements[1:]]
    if admission.discharged_at is not None:
        later.append(admission.discharged_at)
    if later and admitted_at > min(later):
        raise ValidationError(
            {"admitted_at": ["The admission time must be before the first transfer or discharge."]}
        )
    if movements:
        first = movements[0]
        first.moved_at = admitted_at
        first.save(update_fields=["moved_at"])
