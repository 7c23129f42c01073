"""Follow-up appointments: book one and record its outcome."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aftercare.models import (
    FollowUpAppointment,
    FollowUpMode,
    FollowUpStatus,
)
from aftercare.services.common import _require_clinician, _text
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from patients.models import Admission

# --- Follow-ups -------------------------------------------------------------------------------


def follow_up_create(
    *,
    actor: User,
    admission: Admission,
    scheduled_at: dt.datetime | None,
    with_whom: str,
    mode: str,
    location: str = "",
    notes: str = "",
    client: Client | None = None,
) -> FollowUpAppointment:
    _require_clinician(actor)
    errors: dict[str, list[str]] = {}
    if scheduled_at is None:
        errors["scheduled_at"] = ["Give the date and time of the appointment."]
    elif scheduled_at < admission.admitted_at:
        errors["scheduled_at"] = ["The appointment cannot be before the admission."]
    if not _text(with_whom):
        errors["with_whom"] = ["Say with whom (clinic, clinician)."]
    if mode not in FollowUpMode.values:
        errors["mode"] = ["Choose in person or telehealth."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        follow_up = FollowUpAppointment(
            admission=admission,
            scheduled_at=scheduled_at,
            with_whom=_text(with_whom),
            mode=mode,
            location=_text(location),
            notes=_text(notes),
            created_by=actor,
        )
        follow_up.full_clean()
        follow_up.save()
        audit.record(
            actor=actor,
            action=AuditAction.FOLLOW_UP_CREATED,
            obj=follow_up,
            patient=admission.patient,
            client=client,
            details={"scheduled_at": scheduled_at, "mode": mode},
        )
    return follow_up


def follow_up_record(
    *,
    actor: User,
    follow_up: FollowUpAppointment,
    status: str,
    note: str = "",
    adherence: str = "",
    ciwa_b_total: int | None = None,
    client: Client | None = None,
) -> FollowUpAppointment:
    """Attended (with adherence to the continuing taper, optionally a CIWA-B total), did not
    attend, or cancelled (with a reason). Recorded once: the outcome is not overwritten."""
    _require_clinician(actor)
    errors: dict[str, list[str]] = {}
    if status not in (FollowUpStatus.ATTENDED, FollowUpStatus.MISSED, FollowUpStatus.CANCELLED):
        errors["status"] = ["Choose attended, did not attend, or cancelled."]
    if status == FollowUpStatus.CANCELLED and not _text(note):
        errors["note"] = ["Say why the appointment is cancelled."]
    if status == FollowUpStatus.ATTENDED and not adherence:
        errors["adherence"] = ["Say how the patient is keeping to the taper."]
    if ciwa_b_total is not None and not 0 <= int(ciwa_b_total) <= 80:
        errors["ciwa_b_total"] = ["A CIWA-B total is 0 to 80."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        now = timezone.now()
        # Conditional update: a double submit or a colleague's parallel entry changes nothing.
        changed = FollowUpAppointment.objects.filter(
            pk=follow_up.pk, status=FollowUpStatus.SCHEDULED
        ).update(
            status=status,
            outcome_note=_text(note),
            adherence=adherence if status == FollowUpStatus.ATTENDED else "",
            ciwa_b_total=ciwa_b_total if status == FollowUpStatus.ATTENDED else None,
            outcome_recorded_at=now,
            outcome_recorded_by=actor,
        )
        if not changed:
            raise ValidationError({"non_field_errors": ["This appointment is already recorded."]})
        follow_up.refresh_from_db()
        audit.record(
            actor=actor,
            action=AuditAction.FOLLOW_UP_RECORDED,
            obj=follow_up,
            patient=follow_up.admission.patient,
            client=client,
            changes={"status": {"old": FollowUpStatus.SCHEDULED, "new": status}},
            details={"adherence": follow_up.adherence, "ciwa_b_total": ciwa_b_total},
        )
    return follow_up
