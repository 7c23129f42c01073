"""Writes of the tapering app: draft, edit, sign, amend and discontinue plans; record doses.

Each service runs in one transaction, calls the pure domain (clinical/taper), validates,
saves and leaves an audit event in the same transaction. The HTML pages and the API call
these same functions. Clinical sources: /work/shared/domain/tapering.md sections 5 and 6.
"""

from tapering.services.changes import plan_amend, plan_discontinue
from tapering.services.common import (
    IN_FORCE,
    SECOND_SIGNATURE_MEANING,
    SIGNATURE_MEANING,
    SIGNED_OPEN,
    PlanNotEditable,
    StaleVersion,
    compute,
    default_first_dose,
    digest_of,
    dose_times,
)
from tapering.services.drafts import plan_create_draft, plan_update_draft
from tapering.services.signing import plan_second_sign, plan_sign, second_signature_reasons_for

__all__ = [
    "IN_FORCE",
    "SECOND_SIGNATURE_MEANING",
    "SIGNATURE_MEANING",
    "SIGNED_OPEN",
    "PlanNotEditable",
    "StaleVersion",
    "compute",
    "default_first_dose",
    "digest_of",
    "dose_times",
    "plan_amend",
    "plan_create_draft",
    "plan_discontinue",
    "plan_second_sign",
    "plan_sign",
    "plan_update_draft",
    "second_signature_reasons_for",
]
