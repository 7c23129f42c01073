"""Emergency access ("break the glass"): a clinician opens a patient outside their units.

The clinician gives the MRN and a reason; the grant covers that patient's current (or most
recent) admission for EMERGENCY_ACCESS_MINUTES, is audited as ``emergency_access.granted``
and waits for an admin's review. ``patients.selectors.admissions_for_user`` adds granted
admissions through ``emergency_admissions_filter`` (a subquery, so no extra query). The grant
itself (which looks the MRN up among admissions) is ``patients.emergency.emergency_access_grant``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import EmergencyAccess, User

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


def grants_for_admin(admin: Any) -> Any:
    """Grants an admin reviews: by users of their units, or into their units' admissions."""
    if not getattr(admin, "is_authenticated", False) or not admin.is_admin_role:
        return EmergencyAccess.objects.none()
    units = admin.units.values("pk")
    colleagues = User.objects.filter(units__in=units).values("pk")
    return EmergencyAccess.objects.filter(
        Q(user_id__in=colleagues) | Q(admission__unit_id__in=units)
    ).select_related("user", "reviewed_by", "admission__patient", "admission__unit")


def pending_reviews(admin: Any) -> Any:
    return grants_for_admin(admin).filter(reviewed_at__isnull=True)
