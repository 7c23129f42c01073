"""Reads of units, beds and admissions, always through the user's units.

Views and API classes call these instead of ``Model.objects`` so access rules live in one
place: a clinician sees only the units they belong to, and another unit's patient is a 404
(not a 403, which would confirm the record exists).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from patients.models import Admission, Bed, Unit


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
    # Emergency access (cnt_detox.core.emergency): admissions outside the user's units that
    # they broke the glass for, while the grant lasts. A subquery: no extra query.
    from cnt_detox.core.emergency import emergency_admissions_filter

    return admissions | Admission.objects.filter(emergency_admissions_filter(user))


def admission_for_user(user: Any, public_id: uuid.UUID | str) -> Admission:
    try:
        return admissions_for_user(user).get(public_id=public_id)
    except (Admission.DoesNotExist, ValueError, TypeError):
        raise Http404("No such admission.") from None
