"""Break the glass: grant a clinician access to a patient outside their units.

The grant covers the patient's current (or most recent) admission for EMERGENCY_ACCESS_MINUTES,
is audited as ``emergency_access.granted`` and waits for an admin's review
(``cnt_detox.core.emergency`` keeps the grant queries that need no patient data).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.emergency import MIN_REASON_LENGTH
from cnt_detox.core.models import EmergencyAccess, User
from patients.models import Admission
from patients.selectors import units_for_user


def emergency_access_grant(
    *, actor: User, mrn: str, reason: str, client: Client | None = None
) -> EmergencyAccess:
    """Grant ``user`` access to the patient with ``mrn``; ValidationError names the field."""
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
    if units_for_user(actor).filter(pk=admission.unit_id).exists():
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
