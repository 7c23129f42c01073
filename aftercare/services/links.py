"""The patient's expiring links to their discharge summary: create, revoke, open."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from aftercare import selectors
from aftercare.models import (
    PatientLink,
)
from aftercare.services.common import _require_clinician
from cnt_detox.core import audit
from patients.models import Admission

# --- Patient links ----------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def patient_link_create(
    *, actor: Any, admission: Admission, request: HttpRequest | None = None
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
            action="patient_link.created",
            obj=link,
            patient=admission.patient,
            request=request,
            details={"expires_at": link.expires_at},
        )
    return link, token


def patient_link_revoke(
    *, actor: Any, link: PatientLink, request: HttpRequest | None = None
) -> PatientLink:
    _require_clinician(actor)
    with transaction.atomic():
        PatientLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        link.refresh_from_db()
        audit.record(
            actor=actor,
            action="patient_link.revoked",
            obj=link,
            patient=link.admission.patient,
            request=request,
        )
    return link


def patient_link_opened(*, link: PatientLink, request: HttpRequest | None = None) -> None:
    """The patient (anonymous) opened their copy: counted and audited."""
    with transaction.atomic():
        PatientLink.objects.filter(pk=link.pk).update(opened_count=F("opened_count") + 1)
        audit.record(
            actor=None,
            action="patient_link.opened",
            obj=link,
            patient=link.admission.patient,
            request=request,
        )
