"""Writes of the assessments app: record a CIWA-B, mark one entered in error.

The bedside form and the API both call ``assessment_create``. The save path is kept lean
(one read of the admission with its unit's rules, one of its substances, one of the latest
valid assessment, then the inserts), because it runs at the bedside on a phone.
"""

from assessments.services.corrections import assessment_mark_entered_in_error, assessment_viewed
from assessments.services.create import (
    ESCALATION_TASK,
    CreateResult,
    IdempotencyMismatch,
    assessment_create,
)
from assessments.services.escalations import escalation_acknowledge, escalation_raise
from assessments.services.schedule import schedule_first_assessment

__all__ = [
    "ESCALATION_TASK",
    "CreateResult",
    "IdempotencyMismatch",
    "assessment_create",
    "assessment_mark_entered_in_error",
    "assessment_viewed",
    "escalation_acknowledge",
    "escalation_raise",
    "schedule_first_assessment",
]
