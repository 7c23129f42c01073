"""The patient's expiring links to their discharge summary: create, revoke, open."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from aftercare import selectors
from aftercare.models import (
    PatientLink,
)
from aftercare.services.common import _require_clinician
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from patients.models import Admission

# --- Patient links ----------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def patient_link_create(
    *, actor: User, admission: Admission, client: Client | None = None
) -> tuple[PatientLink, str]:
    """A link to the patient's plain copy, valid AFTERCARE_PATIENT_LINK_HOURS; the token is
    returned once and only its hash is stored."""
    _require_clinician(actor)
    if selectors.current_summary(admission) is None:
        raise ValidationError(
            {"non_field_errors": ["Sign the discharge summary first; the copy is made from it."]}
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        link = PatientLink(
            admission=admission,
            token_hash=token_hash(token),
            created_by=actor,
            created_at=now,
            expires_at=now + dt.timedelta(hours=settings.AFTERCARE_PATIENT_LINK_HOURS),
        )
        link.full_clean()
        link.save()
        audit.record(
            actor=actor,
            action=AuditAction.PATIENT_LINK_CREATED,
            obj=link,
            patient=admission.patient,
            client=client,
            details={"expires_at": link.expires_at},
        )
    return link, token


def patient_link_revoke(
    *, actor: User, link: PatientLink, client: Client | None = None
) -> PatientLink:
    _require_clinician(actor)
    with transaction.atomic():
        PatientLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        link.refresh_from_db()
        audit.record(
            actor=actor,
            action=AuditAction.PATIENT_LINK_REVOKED,
            obj=link,
            patient=link.admission.patient,
            client=client,
        )
    return link


def patient_link_opened(*, link: PatientLink, client: Client | None = None) -> None:
    """The patient (anonymous) opened their copy: counted and audited."""
    with transaction.atomic():
        PatientLink.objects.filter(pk=link.pk).update(opened_count=F("opened_count") + 1)
        audit.record(
            actor=None,
            action=AuditAction.PATIENT_LINK_OPENED,
            obj=link,
            patient=link.admission.patient,
            client=client,
        )
