"""Writes of discharge and aftercare: discharge with readiness, aftercare plan versions,
follow-ups, signed discharge summaries and the patient's expiring links.

Each service runs in one transaction, validates, saves and leaves an audit event in it. The
pages and the API call these same functions. Signing follows tapering.md section 5 (password,
one-time code when enrolled, printed name, role, time, meaning, SHA-256 of the canonical
content), the way tapering.services.plan_sign does.
"""

from aftercare.services.follow_ups import follow_up_create, follow_up_record
from aftercare.services.links import (
    patient_link_create,
    patient_link_opened,
    patient_link_revoke,
    token_hash,
)
from aftercare.services.plans import TEXT_FIELDS, aftercare_plan_save
from aftercare.services.readiness import check_readiness, discharge
from aftercare.services.summaries import SUMMARY_MEANING, summary_access_audit, summary_sign

__all__ = [
    "SUMMARY_MEANING",
    "TEXT_FIELDS",
    "aftercare_plan_save",
    "check_readiness",
    "discharge",
    "follow_up_create",
    "follow_up_record",
    "patient_link_create",
    "patient_link_opened",
    "patient_link_revoke",
    "summary_access_audit",
    "summary_sign",
    "token_hash",
]
