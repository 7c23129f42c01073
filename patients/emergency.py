"""Emergency access ("break the glass"): a clinician opens a patient outside their units.

The clinician gives the MRN and a reason; the grant covers that patient's current (or most
recent) admission for EMERGENCY_ACCESS_MINUTES, is audited as ``emergency_access.granted``
and waits for an admin's review. ``patients.selectors.admissions_for_user`` adds granted
admissions through ``emergency_admissions_filter`` (a subquery, so no extra query).

This module lived partly in ``cnt_detox.core.emergency`` until issue 17; it imports no other
patients module but the models, so the selectors can import it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from patients.models import Admission, EmergencyAccess

MIN_REASON_LENGTH = 10


def emergency_admissions_filter(user: Any, now: dt.datetime | None = None) -> Q:
    """Q on Admission: admissions this user holds an active emergency grant for."""
    if not getattr(user, "is_authenticated", False) or not user.is_clinician:
        return Q(pk__in=[])
    granted = EmergencyAccess.objects.active(now).filter(user=user).values("admission_id")
    return Q(pk__in=granted)


def active_grants_for_user(user: Any) -> list[EmergencyAccess]:
    return list(
        EmergencyAccess.objects.active()
        .filter(user=user)
        .select_related("admission__patient", "admission__unit")
        .order_by("expires_at")
    )


def emergency_access_grant(
    *, actor: User, mrn: str, reason: str, client: Client | None = None
) -> EmergencyAccess:
    """Grant ``actor`` access to the patient with ``mrn``; ValidationError names the field."""
    if not actor.is_clinician:
        raise PermissionDenied("Only nurses and physicians may use emergency access.")
    mrn = (mrn or "").strip()
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not mrn:
        errors["mrn"] = ["Enter the patient's MRN."]
    if len(reason) < MIN_REASON_LENGTH:
        errors["reason"] = [
            f"Say why you need this record now (at least {MIN_REASON_LENGTH} characters)."
        ]
    if errors:
        raise ValidationError(errors)
    admissions = Admission.objects.filter(patient__mrn=mrn).select_related("patient", "unit")
    admission = (
        admissions.filter(discharged_at__isnull=True).first()
        or admissions.order_by("-admitted_at").first()
    )
    if admission is None:
        audit.record(
            actor=actor,
            action=AuditAction.EMERGENCY_ACCESS_GRANT_REFUSED,
            client=client,
            details={"reason": reason},
        )
        raise ValidationError({"mrn": ["No admission has that MRN. Check the number."]})
    if actor.units.filter(pk=admission.unit_id).exists():
        raise ValidationError(
            {"mrn": ["This patient is on one of your units; open them from the patient list."]}
        )
    now = timezone.now()
    with transaction.atomic():
        grant = EmergencyAccess(
            user=actor,
            admission=admission,
            reason=reason,
            granted_at=now,
            expires_at=now + dt.timedelta(minutes=settings.EMERGENCY_ACCESS_MINUTES),
        )
        grant.full_clean()
        grant.save()
        audit.record(
            actor=actor,
            action=AuditAction.EMERGENCY_ACCESS_GRANTED,
            obj=grant,
            patient=admission.patient,
            client=client,
            details={
                "reason": reason,
                "admission": str(admission.public_id),
                "unit": admission.unit.name,
                "expires_at": grant.expires_at,
            },
        )
    return grant


def emergency_access_review(
    *, actor: User, grant: EmergencyAccess, note: str, client: Client | None = None
) -> EmergencyAccess:
    if not actor.is_admin_role:
        raise PermissionDenied("Only administrators review emergency access.")
    note = (note or "").strip()
    with transaction.atomic():
        # Conditional update: two admins reviewing at once record one review.
        updated = EmergencyAccess.objects.filter(pk=grant.pk, reviewed_at__isnull=True).update(
            reviewed_by=actor, reviewed_at=timezone.now(), review_note=note
        )
        grant.refresh_from_db()
        if updated:
            audit.record(
                actor=actor,
                action=AuditAction.EMERGENCY_ACCESS_REVIEWED,
                obj=grant,
                patient=grant.admission.patient,
                client=client,
                details={"note": note},
            )
    return grant


def grants_for_admin(admin: Any) -> QuerySet[EmergencyAccess]:
    """Grants an admin reviews: by users of their units, or into their units' admissions."""
    if not getattr(admin, "is_authenticated", False) or not admin.is_admin_role:
        return EmergencyAccess.objects.none()
    units = admin.units.values("pk")
    colleagues = User.objects.filter(units__in=units).values("pk")
    return EmergencyAccess.objects.filter(
        Q(user_id__in=colleagues) | Q(admission__unit_id__in=units)
    ).select_related("user", "reviewed_by", "admission__patient", "admission__unit")


def pending_reviews(admin: Any) -> QuerySet[EmergencyAccess]:
    return grants_for_admin(admin).filter(reviewed_at__isnull=True)
