"""Writes of the intake: admit, edit the intake, transfer, discharge, and audited reads.

Each service runs in one transaction: validate, lock what it changes, compute the intake
(patients/intake.py over the pure domain code), ``full_clean()``, save, audit event. The HTML
forms and the API call these same functions; errors are Django ``ValidationError`` with field
keys (``patient.mrn``, ``substances.0.daily_dose_mg``, ``bed``...) that both turn into field
errors.
"""

from patients.services.admissions import (
    BEFORE_BIRTH,
    NEUTRAL_MRN_CONFLICT,
    HiddenMrnConflict,
    admission_create,
    equivalence_table_id,
)
from patients.services.intake_edits import admission_update_intake
from patients.services.movements import admission_discharge, admission_transfer
from patients.services.reads import admission_view_audit, list_view_audit, patient_view_audit

__all__ = [
    "BEFORE_BIRTH",
    "NEUTRAL_MRN_CONFLICT",
    "HiddenMrnConflict",
    "admission_create",
    "admission_discharge",
    "admission_transfer",
    "admission_update_intake",
    "admission_view_audit",
    "equivalence_table_id",
    "list_view_audit",
    "patient_view_audit",
]
