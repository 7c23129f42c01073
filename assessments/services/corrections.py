"""Marking an assessment entered in error, and the audit of reading one."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.facts import interval_rules, rules_for_unit, stored_flags
from assessments.models import (
    Assessment,
    AssessmentStatus,
)
from assessments.services.schedule import _upsert_schedule
from clinical import reassessment as schedule
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from patients.models import Admission

# Fields a clinician would see change when an assessment is marked entered in error.
_ERROR_FIELDS = ("status", "error_reason", "error_marked_by", "error_marked_at")


def assessment_mark_entered_in_error(
    *, assessment: Assessment, actor: User, reason: str, client: Client | None = None
) -> Assessment:
    """Mark a wrong entry; it stays on record, struck through. The schedule is recomputed
    from the latest valid assessment left (with the unit's current rules)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ["Say why this entry is wrong (for example: wrong patient)."]}
        )
    now = timezone.now()
    with transaction.atomic():
        before = audit.snapshot(assessment, _ERROR_FIELDS)
        # Conditional UPDATE: two clinicians marking the same entry cannot both succeed.
        changed = Assessment.objects.filter(pk=assessment.pk, status=AssessmentStatus.VALID).update(
            status=AssessmentStatus.ENTERED_IN_ERROR,
            error_reason=reason,
            error_marked_by=actor,
            error_marked_at=now,
        )
        if not changed:
            raise ValidationError(
                {"status": ["This assessment is already marked entered in error."]}
            )
        assessment.status = AssessmentStatus.ENTERED_IN_ERROR
        assessment.error_reason = reason
        assessment.error_marked_by = actor
        assessment.error_marked_at = now
        admission = assessment.admission
        latest = (
            Assessment.objects.filter(admission=admission, status=AssessmentStatus.VALID)
            .order_by("-assessed_at", "-id")
            .first()
        )
        if latest is not None:
            rules = rules_for_unit(admission.unit)
            due = schedule.next_due(
                assessed_at=latest.assessed_at,
                band=latest.band or None,
                flags=stored_flags(latest),
                rules=interval_rules(rules),
            )
        else:
            # No valid assessment left: the patient needs one now.
            due = schedule.NextDue(now, 0, False, "No valid assessment on record: assess now")
        _upsert_schedule(admission, due, latest)
        audit.record(
            actor=actor,
            action=AuditAction.ASSESSMENT_ENTERED_IN_ERROR,
            obj=assessment,
            patient=admission.patient,
            client=client,
            changes=audit.diff(before, audit.snapshot(assessment, _ERROR_FIELDS)),
            details={"next_due_at": due.due_at},
        )
    return assessment


def assessment_viewed(
    *, actor: User, admission: Admission, action: str, obj: Any = None, client: Client | None = None
) -> None:
    """Audit a read of a patient's assessments (detail, timeline, API list)."""
    audit.record(
        actor=actor, action=action, obj=obj or admission, patient=admission.patient, client=client
    )
