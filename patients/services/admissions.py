"""Admitting a patient: unit and bed, the patient record (MRN rules), the intake."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cnt_detox.core import audit, hooks
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from patients.intake import compute_intake
from patients.models import (
    Admission,
    AdmissionMovement,
    Bed,
    Patient,
    Sex,
    Unit,
)
from patients.selectors import units_for_user
from patients.validation import (
    AUDITED_ADMISSION_FIELDS,
    CLOCK_SKEW,
    HISTORY_FIELDS,
    PATIENT_FIELDS,
    build_substances,
    full_clean_rows,
    integrity_error,
    norm,
    raise_if,
    substance_snapshot,
    validate_patient,
    validate_substances,
)


def equivalence_table_id() -> str:
    """The facility's default table (equivalence.md "Default table": ashton-2002)."""
    return settings.EQUIVALENCE_DEFAULT_TABLE


def _require_clinician(actor: User) -> None:
    # Admins make no clinical entries (architecture.md role table); views check too.
    if not getattr(actor, "is_clinician", False):
        raise PermissionDenied("Only nurses and physicians may make clinical entries.")


def _resolve_unit_and_bed(actor: User, unit_id: Any, bed_id: Any) -> tuple[Unit, Bed]:
    """Unit among the actor's units and a free active bed of it, the bed row locked."""
    try:
        unit = units_for_user(actor).get(public_id=unit_id)
    except (Unit.DoesNotExist, ValueError, TypeError, ValidationError):
        raise ValidationError({"unit": ["Unknown unit: choose one of your units."]}) from None
    try:
        # Locked so two admissions to the same bed queue here instead of racing.
        bed = Bed.objects.select_for_update().get(unit=unit, public_id=bed_id, active=True)
    except (Bed.DoesNotExist, ValueError, TypeError, ValidationError):
        raise ValidationError({"bed": [f"Unknown bed: choose a bed of {unit.name}."]}) from None
    if Admission.objects.filter(bed=bed, discharged_at__isnull=True).exists():
        raise ValidationError(
            {"bed": [f"Bed {bed.label} is occupied by another patient; choose a free bed."]}
        )
    return unit, bed


# One answer for every conflict the nurse may not learn about (issue 18.4): whether the MRN
# belongs to another unit's patient, and whether that person is admitted, stay hidden.
NEUTRAL_MRN_CONFLICT = (
    "This MRN cannot be admitted with these details. Check the MRN, name and date of birth "
    "against the hospital record. If they are right, ask the bed manager; to open a patient "
    "of another unit in an emergency, use Emergency access."
)


class HiddenMrnConflict(ValidationError):
    """A conflict with a patient outside the actor's units: answered neutrally, audited."""

    def __init__(self, mrn: str, reason: str) -> None:
        super().__init__({"patient.mrn": [NEUTRAL_MRN_CONFLICT]})
        self.mrn = mrn
        self.reason = reason


def _patient_for_admission(actor: User, data: Mapping[str, Any]) -> tuple[Patient, bool]:
    """The patient to admit: a new one, or the same person re-admitted under their MRN.

    Re-admission (decision): a known MRN with the same name and date of birth and no open
    admission is the same person coming back; the existing record is reused so their history
    stays together. Same MRN with a different name or date of birth is refused: it is either
    a typing error or a different person, and guessing would merge two patients' records.

    What the refusal says depends on what the actor may already see: a patient seen on their
    units gets the precise reason; a patient known only elsewhere gets NEUTRAL_MRN_CONFLICT
    whatever the reason, so the form is no oracle for other units' patients.
    """
    mrn = str(data["mrn"]).strip()
    existing = Patient.objects.select_for_update().filter(mrn=mrn).first()
    if existing is None:
        patient = Patient(
            mrn=mrn,
            first_name=str(data["first_name"]).strip(),
            last_name=str(data["last_name"]).strip(),
            date_of_birth=data["date_of_birth"],
            sex=data.get("sex") or Sex.UNKNOWN,
        )
        try:
            patient.full_clean()
        except ValidationError as exc:
            raise ValidationError(
                {f"patient.{k}": v for k, v in exc.message_dict.items()}
            ) from None
        patient.save()
        return patient, True
    here = existing.admissions.filter(unit__in=units_for_user(actor))
    same_person = (
        norm(existing.first_name) == norm(data["first_name"])
        and norm(existing.last_name) == norm(data["last_name"])
        and existing.date_of_birth == data["date_of_birth"]
    )
    if not same_person:
        if not here.exists():
            raise HiddenMrnConflict(mrn, "different_identity")
        raise ValidationError(
            {
                "patient.mrn": [
                    f"MRN {mrn} is already registered to a patient with a different name or "
                    "date of birth. Check the MRN; if it is right, check the name and date of "
                    "birth against the hospital record."
                ]
            }
        )
    if existing.admissions.filter(discharged_at__isnull=True).exists():
        if not here.filter(discharged_at__isnull=True).exists():
            raise HiddenMrnConflict(mrn, "admitted_elsewhere")
        raise ValidationError({"patient.mrn": [f"The patient with MRN {mrn} is already admitted."]})
    return existing, False


def _audit_hidden_conflict(actor: User, conflict: HiddenMrnConflict, client: Client | None) -> None:
    # Its own transaction: the admission's was rolled back, and the attempt must stay on
    # record. The reason is for the reviewing admin, never for the form.
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditAction.ADMISSION_MRN_CONFLICT_REFUSED,
            client=client,
            details={"mrn": conflict.mrn, "reason": conflict.reason},
        )


# --- services --------------------------------------------------------------------------------


def admission_create(
    *,
    actor: User,
    patient: Mapping[str, Any],
    unit_id: uuid.UUID | str,
    bed_id: uuid.UUID | str,
    admitted_at: dt.datetime,
    substances: Sequence[Mapping[str, Any]],
    history: Mapping[str, Any] | None = None,
    referral_notes: str = "",
    other_substances: str = "",
    client: Client | None = None,
    now: dt.datetime | None = None,
) -> Admission:
    """Admit a patient: patient (new or re-admitted), admission, substance rows, computed
    intake, initial placement movement and audit events, all in one transaction."""
    _require_clinician(actor)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    validate_patient({name: patient.get(name) for name in PATIENT_FIELDS}, errors, today=now.date())
    validate_substances(substances, errors, now=now)
    if admitted_at is None:
        errors["admitted_at"] = ["Enter the admission time."]
    elif admitted_at > now + CLOCK_SKEW:
        errors["admitted_at"] = ["The admission time cannot be in the future."]
    elif _before_birth(admitted_at, patient.get("date_of_birth")):
        errors["admitted_at"] = [BEFORE_BIRTH]
    raise_if(errors)

    try:
        with transaction.atomic():
            unit, bed = _resolve_unit_and_bed(actor, unit_id, bed_id)
            person, created = _patient_for_admission(actor, patient)
            admission = Admission(
                patient=person,
                unit=unit,
                bed=bed,
                admitted_at=admitted_at,
                referral_notes=referral_notes or "",
                other_substances=other_substances or "",
                created_by=actor,
                **{k: v for k, v in (history or {}).items() if k in HISTORY_FIELDS},
            )
            rows = build_substances(admission, substances)
            full_clean_rows(rows)
            compute_intake(admission, rows, table_id=equivalence_table_id())
            admission.full_clean(exclude=["patient", "unit", "bed", "created_by"])
            admission.save()
            for row in rows:
                row.admission = admission
                row.save()
            AdmissionMovement.objects.create(
                admission=admission,
                to_unit=unit,
                to_bed=bed,
                moved_at=admitted_at,
                moved_by=actor,
                reason="Admission",
            )
            # The first CIWA-B is due at admission; the assessments app registers it.
            hooks.admission_created(admission=admission, actor=actor)
            if created:
                audit.record(
                    actor=actor,
                    action=AuditAction.PATIENT_CREATED,
                    obj=person,
                    patient=person,
                    client=client,
                    changes=audit.diff({}, audit.snapshot(person, PATIENT_FIELDS)),
                )
            audit.record(
                actor=actor,
                action=AuditAction.ADMISSION_CREATED,
                obj=admission,
                patient=person,
                client=client,
                changes=audit.diff(
                    {},
                    {
                        **audit.snapshot(admission, AUDITED_ADMISSION_FIELDS),
                        "unit": unit.name,
                        "bed": bed.label,
                        "substances": substance_snapshot(rows),
                    },
                ),
                details={"readmission": not created},
            )
    except HiddenMrnConflict as conflict:
        _audit_hidden_conflict(actor, conflict, client)
        raise ValidationError(conflict.message_dict) from None
    except IntegrityError as exc:
        raise integrity_error(exc) from None
    return admission


BEFORE_BIRTH = "The admission time is before the patient's date of birth: check the year."


def _before_birth(admitted_at: dt.datetime | None, born: Any) -> bool:
    """A clinical time before the patient was born is a typo (plausible-time rule, issue 19)."""
    return isinstance(born, dt.date) and admitted_at is not None and admitted_at.date() < born
