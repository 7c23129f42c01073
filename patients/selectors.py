"""Reads of units, beds and admissions, always through the user's units.

Views and API classes call these instead of ``Model.objects`` so access rules live in one
place: a clinician sees only the units they belong to, and another unit's patient is a 404
(not a 403, which would confirm the record exists).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import Http404

from patients.emergency import emergency_admissions_filter
from patients.models import Admission, Bed, Patient, Unit


def units_for_user(user: Any) -> QuerySet[Unit]:
    if not getattr(user, "is_authenticated", False):
        return Unit.objects.none()
    return Unit.objects.filter(members=user)


def beds_with_occupancy(unit_ids: Any) -> QuerySet[Bed]:
    current = Admission.objects.filter(bed=OuterRef("pk"), discharged_at__isnull=True)
    return Bed.objects.filter(unit__in=unit_ids).annotate(occupied=Exists(current))


def unit_for_user(user: Any, public_id: uuid.UUID | str) -> Unit:
    try:
        return units_for_user(user).get(public_id=public_id)
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise Http404("No such unit.") from None


def admissions_for_user(user: Any) -> QuerySet[Admission]:
    """Admissions in the user's units (admins included: they read census, not clinical detail)."""
    admissions = Admission.objects.filter(unit__in=units_for_user(user)).select_related(
        "patient", "unit", "bed"
    )
    # Emergency access (patients.emergency): admissions outside the user's units that
    # they broke the glass for, while the grant lasts. A subquery: no extra query.
    return admissions | Admission.objects.filter(emergency_admissions_filter(user))


def admission_ids_for_user(user: Any) -> QuerySet[Admission]:
    """Pks of every admission the user may open, as a subquery: the one access rule.

    Their units' admissions plus live emergency grants (admissions_for_user). Every other
    app's lookup of patient data (assessments, plans, doses, notifications) filters on this,
    so a grant opens the whole admission and its expiry closes every path at once.
    """
    return admissions_for_user(user).values("pk")


def admission_for_user(user: Any, public_id: uuid.UUID | str) -> Admission:
    try:
        return admissions_for_user(user).get(public_id=public_id)
    except (Admission.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("No such admission.") from None


def open_admissions_for_user(user: Any, unit: Unit | None = None) -> QuerySet[Admission]:
    """Current admissions in the user's units (optionally one unit), for the patient list.

    Everything a list row shows is on the admission, its patient, unit and bed (flags and
    doses are stored at intake), so the query count does not grow with the rows.
    """
    qs = admissions_for_user(user).filter(discharged_at__isnull=True)
    if unit is not None:
        qs = qs.filter(unit=unit)
    return qs.order_by("unit__name", "bed__label")


def admissions_with_intake_for_user(user: Any) -> QuerySet[Admission]:
    """Admissions with their current substance rows prefetched (API lists, detail pages)."""
    return admissions_for_user(user).prefetch_related("substances")


def admission_detail_for_user(user: Any, public_id: uuid.UUID | str) -> Admission:
    """One admission with substances and movements; another unit's admission is a 404."""
    try:
        return (
            admissions_with_intake_for_user(user)
            .prefetch_related("movements__to_unit", "movements__to_bed", "movements__moved_by")
            .get(public_id=public_id)
        )
    except (Admission.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("No such admission.") from None


def free_beds_for_user(user: Any) -> QuerySet[Bed]:
    """Active, unoccupied beds of the user's units, for the admit and transfer forms."""
    return (
        beds_with_occupancy(units_for_user(user))
        .filter(active=True, occupied=False)
        .select_related("unit")
        .order_by("unit__name", "label")
    )


def patients_for_user(user: Any) -> QuerySet[Patient]:
    """Patients with at least one admission (any time) in the user's units."""
    units = units_for_user(user)
    seen_here = Admission.objects.filter(patient=OuterRef("pk"), unit__in=units)
    open_here = seen_here.filter(discharged_at__isnull=True).values("public_id")[:1]
    return (
        Patient.objects.filter(Exists(seen_here))
        .annotate(current_admission_id=Subquery(open_here))
        .order_by("last_name", "first_name", "id")
    )


def patient_for_user(user: Any, public_id: uuid.UUID | str) -> Patient:
    try:
        return patients_for_user(user).get(public_id=public_id)
    except (Patient.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("No such patient.") from None


def mrns_by_public_id(public_ids: set[Any]) -> dict[Any, str]:
    """MRN of each patient public id (the audit viewer's column; registered in apps.py)."""
    return dict(Patient.objects.filter(public_id__in=public_ids).values_list("public_id", "mrn"))
