"""Writes of the intake: admit, edit the intake, transfer, discharge, and audited reads.

Each service runs in one transaction: validate, lock what it changes, compute the intake
(patients/intake.py over the pure domain code), ``full_clean()``, save, audit event. The HTML
forms and the API call these same functions; errors are Django ``ValidationError`` with field
keys (``patient.mrn``, ``substances.0.daily_dose_mg``, ``bed``...) that both turn into field
errors.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from cnt_detox.core import audit, hooks
from patients.intake import compute_intake
from patients.models import (
    Admission,
    AdmissionMovement,
    AdmissionStatus,
    Bed,
    Patient,
    Sex,
    SubstanceUse,
    Unit,
)
from patients.selectors import units_for_user
from patients.validation import (
    AUDITED_ADMISSION_FIELDS,
    CLOCK_SKEW,
    HISTORY_FIELDS,
    PATIENT_FIELDS,
    SUBSTANCE_FIELDS,
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


def _require_clinician(actor: Any) -> None:
    # Admins make no clinical entries (architecture.md role table); views check too.
    if not getattr(actor, "is_clinician", False):
        raise PermissionDenied("Only nurses and physicians may make clinical entries.")


def _resolve_unit_and_bed(actor: Any, unit_id: Any, bed_id: Any) -> tuple[Unit, Bed]:
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


def _patient_for_admission(actor: Any, data: Mapping[str, Any]) -> tuple[Patient, bool]:
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


def _audit_hidden_conflict(actor: Any, conflict: HiddenMrnConflict, request: Any) -> None:
    # Its own transaction: the admission's was rolled back, and the attempt must stay on
    # record. The reason is for the reviewing admin, never for the form.
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="admission.mrn_conflict",
            request=request,
            details={"mrn": conflict.mrn, "reason": conflict.reason},
        )


# --- services --------------------------------------------------------------------------------


def admission_create(
    *,
    actor: Any,
    patient: Mapping[str, Any],
    unit_id: uuid.UUID | str,
    bed_id: uuid.UUID | str,
    admitted_at: dt.datetime,
    substances: Sequence[Mapping[str, Any]],
    history: Mapping[str, Any] | None = None,
    referral_notes: str = "",
    other_substances: str = "",
    request: HttpRequest | None = None,
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
                    action="patient.create",
                    obj=person,
                    patient=person,
                    request=request,
                    changes=audit.diff({}, audit.snapshot(person, PATIENT_FIELDS)),
                )
            audit.record(
                actor=actor,
                action="admission.create",
                obj=admission,
                patient=person,
                request=request,
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
        _audit_hidden_conflict(actor, conflict, request)
        raise ValidationError(conflict.message_dict) from None
    except IntegrityError as exc:
        raise integrity_error(exc) from None
    return admission


def admission_update_intake(
    *,
    actor: Any,
    admission: Admission,
    patient: Mapping[str, Any] | None = None,
    admitted_at: dt.datetime | None = None,
    substances: Sequence[Mapping[str, Any]] | None = None,
    history: Mapping[str, Any] | None = None,
    referral_notes: str | None = None,
    other_substances: str | None = None,
    request: HttpRequest | None = None,
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
            action="admission.update",
            obj=admission,
            patient=person,
            request=request,
            changes=changes,
            details={"substances_marked_in_error": [str(r.public_id) for r in removed]},
        )
    return admission


BEFORE_BIRTH = "The admission time is before the patient's date of birth: check the year."


def _before_birth(admitted_at: dt.datetime | None, born: Any) -> bool:
    """A clinical time before the patient was born is a typo (plausible-time rule, issue 19)."""
    return isinstance(born, dt.date) and admitted_at is not None and admitted_at.date() < born


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


def admission_transfer(
    *,
    actor: Any,
    admission: Admission,
    unit_id: uuid.UUID | str,
    bed_id: uuid.UUID | str,
    reason: str,
    request: HttpRequest | None = None,
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
                action="admission.transfer",
                obj=admission,
                patient=admission.patient,
                request=request,
                changes=audit.diff(before, {"unit": unit.name, "bed": bed.label}),
                details={"reason": movement.reason, "movement": str(movement.public_id)},
            )
    except IntegrityError as exc:
        raise integrity_error(exc) from None
    return admission


def admission_discharge(
    *,
    actor: Any,
    admission: Admission,
    discharged_at: dt.datetime,
    reason: str,
    request: HttpRequest | None = None,
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
            action="admission.discharge",
            obj=admission,
            patient=admission.patient,
            request=request,
            changes=audit.diff(
                before, audit.snapshot(admission, ("status", "discharged_at", "discharge_reason"))
            ),
        )
    return admission


def admission_view_audit(
    *, actor: Any, admission: Admission, request: HttpRequest | None = None, via: str = "page"
) -> None:
    """Every read of a patient record leaves an audit event (architecture.md)."""
    audit.record(
        actor=actor,
        action="admission.view",
        obj=admission,
        patient=admission.patient,
        request=request,
        details={"via": via},
    )


def patient_view_audit(
    *, actor: Any, patient: Patient, request: HttpRequest | None = None, via: str = "api"
) -> None:
    audit.record(
        actor=actor,
        action="patient.view",
        obj=patient,
        patient=patient,
        request=request,
        details={"via": via},
    )


def list_view_audit(
    *,
    actor: Any,
    object_type: str,
    public_ids: Iterable[Any],
    request: HttpRequest | None = None,
    via: str = "page",
    filters: Mapping[str, Any] | None = None,
) -> None:
    """One audit row per list view, naming every record shown (not one row per patient)."""
    audit.record(
        actor=actor,
        action=f"{object_type}.list",
        object_type=f"patients.{object_type}",
        request=request,
        details={"via": via, "shown": [str(p) for p in public_ids], "filters": filters or {}},
    )
