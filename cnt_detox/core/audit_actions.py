"""Every audit action name, in one tense: ``<object>.<past participle>`` (issue 17).

``audit.record`` refuses a name that is not listed here, so a typo fails in the first test
that reaches it instead of writing a row nobody's filter finds. Audit rows are append-only and
sealed with an HMAC, so rows written before the rename keep their old names:
``LEGACY_ACTION_NAMES`` maps each old name to its new one, and ``matching_actions`` lets the
audit viewer's filter find both.
"""

from __future__ import annotations

import re
from enum import StrEnum

from django.db.models import Q


class AuditAction(StrEnum):
    # ruff's S105 reads "PASSWORD"/"TOKEN" in a name as a secret; these are action names.
    # Sign-in and account
    LOGGED_IN = "auth.logged_in"
    LOGGED_OUT = "auth.logged_out"
    OTP_VERIFIED = "auth.otp_verified"
    OTP_FAILED = "auth.otp_failed"
    OTP_ENROLLED = "auth.otp_enrolled"
    OTP_REMOVED = "auth.otp_removed"
    OTP_RESET = "auth.otp_reset"
    OTP_BACKUP_CODES_RENEWED = "auth.otp_backup_codes_renewed"
    PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105
    TOKEN_ISSUED = "auth.token_issued"  # noqa: S105
    TOKEN_REVOKED = "auth.token_revoked"  # noqa: S105
    # Administration and the audit log itself
    ROLE_GRANTED = "admin.role_granted"
    USER_PASSWORD_SET = "admin.user.password_set"  # noqa: S105
    AUDIT_EXPORTED = "audit.exported"
    # Patients and admissions
    PATIENT_CREATED = "patient.created"
    PATIENT_VIEWED = "patient.viewed"
    PATIENT_LISTED = "patient.listed"
    ADMISSION_CREATED = "admission.created"
    ADMISSION_VIEWED = "admission.viewed"
    ADMISSION_LISTED = "admission.listed"
    ADMISSION_UPDATED = "admission.updated"
    ADMISSION_TRANSFERRED = "admission.transferred"
    ADMISSION_DISCHARGED = "admission.discharged"
    ADMISSION_MRN_CONFLICT_REFUSED = "admission.mrn_conflict_refused"
    EMERGENCY_ACCESS_GRANTED = "emergency_access.granted"
    EMERGENCY_ACCESS_GRANT_REFUSED = "emergency_access.grant_refused"
    EMERGENCY_ACCESS_REVIEWED = "emergency_access.reviewed"
    # Assessments
    ASSESSMENT_CREATED = "assessment.created"
    ASSESSMENT_VIEWED = "assessment.viewed"
    ASSESSMENT_LISTED = "assessment.listed"
    ASSESSMENT_TIMELINE_VIEWED = "assessment.timeline_viewed"
    ASSESSMENT_FORM_VIEWED = "assessment.form_viewed"
    ASSESSMENT_FORM_SAVED_OFFLINE = "assessment.form_saved_offline"
    ASSESSMENT_ENTERED_IN_ERROR = "assessment.entered_in_error"
    INTERVAL_RULES_CREATED = "interval_rules.created"
    INTERVAL_RULES_CHANGED = "interval_rules.changed"
    # Taper plans and their doses
    TAPER_PLAN_CREATED = "taper_plan.created"
    TAPER_PLAN_UPDATED = "taper_plan.updated"
    TAPER_PLAN_VIEWED = "taper_plan.viewed"
    TAPER_PLAN_PRINT_HEADER_VIEWED = "taper_plan.print_header_viewed"
    TAPER_PLAN_SIGNED = "taper_plan.signed"
    TAPER_PLAN_SIGN_REFUSED = "taper_plan.sign_refused"
    TAPER_PLAN_SECOND_SIGNED = "taper_plan.second_signed"
    TAPER_PLAN_SECOND_SIGNATURE_REFUSED = "taper_plan.second_signature_refused"
    TAPER_PLAN_AMENDMENT_STARTED = "taper_plan.amendment_started"
    TAPER_PLAN_DISCONTINUED = "taper_plan.discontinued"
    TAPER_PLAN_COMPLETED = "taper_plan.completed"
    DOSE_RECORDED = "dose.recorded"
    DOSE_ENTERED_IN_ERROR = "dose.entered_in_error"
    DOSES_VIEWED = "doses.viewed"
    DOSES_SAVED_OFFLINE = "doses.saved_offline"
    # Medication orders
    MEDICATION_ORDER_SIGNED = "medication_order.signed"
    MEDICATION_ORDER_DISCONTINUED = "medication_order.discontinued"
    MEDICATION_ORDER_FORM_VIEWED = "medication_order_form.viewed"
    MEDICATION_RECORD_VIEWED = "medication_record.viewed"
    MEDICATION_DOSE_RECORDED = "medication_dose.recorded"
    MEDICATION_DOSE_REFUSED = "medication_dose.refused"
    MEDICATION_DOSE_MARKED_IN_ERROR = "medication_dose.marked_in_error"
    # Notifications
    NOTIFICATION_ACKNOWLEDGED = "notification.acknowledged"
    ROSTER_CREATED = "roster.created"
    ROSTER_CHANGED = "roster.changed"
    # Reports
    BOARD_VIEWED = "board.viewed"
    BOARD_REFRESHED = "board.refreshed"
    PERIOD_REPORT_VIEWED = "period_report.viewed"
    REPORT_EXPORTED = "report.exported"
    # A report export job's life (reports.jobs writes the end as report.export_job.<status>).
    EXPORT_JOB_REQUESTED = "report.export_job.requested"
    EXPORT_JOB_DONE = "report.export_job.done"
    EXPORT_JOB_FAILED = "report.export_job.failed"
    EXPORT_JOB_EXPIRED = "report.export_job.expired"
    # Discharge and aftercare
    DISCHARGE_READINESS_VIEWED = "discharge.readiness_viewed"
    DISCHARGE_READINESS_RECORDED = "discharge.readiness_recorded"
    AFTERCARE_VIEWED = "aftercare.viewed"
    AFTERCARE_PLAN_VIEWED = "aftercare_plan.viewed"
    AFTERCARE_PLAN_SAVED = "aftercare_plan.saved"
    FOLLOW_UP_CREATED = "follow_up.created"
    FOLLOW_UP_RECORDED = "follow_up.recorded"
    FOLLOW_UP_LISTED = "follow_up.listed"
    DISCHARGE_SUMMARY_PREVIEWED = "discharge_summary.previewed"
    DISCHARGE_SUMMARY_SIGNED = "discharge_summary.signed"
    DISCHARGE_SUMMARY_SIGN_REFUSED = "discharge_summary.sign_refused"
    DISCHARGE_SUMMARY_VIEWED = "discharge_summary.viewed"
    DISCHARGE_SUMMARY_PRINTED = "discharge_summary.printed"
    DISCHARGE_SUMMARY_DOWNLOADED = "discharge_summary.downloaded"
    DISCHARGE_SUMMARY_READ_AS_JSON = "discharge_summary.read_as_json"
    DISCHARGE_SUMMARY_PATIENT_COPY_PRINTED = "discharge_summary.patient_copy_printed"
    PATIENT_LINK_CREATED = "patient_link.created"
    PATIENT_LINK_REVOKED = "patient_link.revoked"
    PATIENT_LINK_OPENED = "patient_link.opened"
    # FHIR R4
    FHIR_RESOURCE_READ = "fhir.resource_read"
    FHIR_EVERYTHING_READ = "fhir.everything_read"
    FHIR_QUESTIONNAIRE_RESPONSE_RECEIVED = "fhir.questionnaire_response_received"
    FHIR_EXPORT_REQUESTED = "fhir.export_requested"
    FHIR_EXPORT_COMPLETED = "fhir.export_completed"
    FHIR_EXPORT_CANCELLED = "fhir.export_cancelled"
    FHIR_EXPORT_DOWNLOADED = "fhir.export_downloaded"


# Changes made in the Django admin: ``admin.<model name>.<verb>``, one per registered model.
ADMIN_VERBS = ("created", "changed", "deleted")
_ADMIN_ACTION = re.compile(r"^admin\.[a-z0-9_]+\.(created|changed|deleted)$")


def admin_action(model_name: str, verb: str) -> str:
    if verb not in ADMIN_VERBS:
        raise ValueError(f"Unknown admin audit verb {verb!r}; one of {ADMIN_VERBS}.")
    return f"admin.{model_name}.{verb}"


def is_known(action: str) -> bool:
    return action in AuditAction._value2member_map_ or bool(_ADMIN_ACTION.match(action))


# Names written before issue 17, as they stand in sealed rows (never rewritten): old -> new.
LEGACY_ACTION_NAMES: dict[str, str] = {
    "auth.login": AuditAction.LOGGED_IN,
    "auth.logout": AuditAction.LOGGED_OUT,
    "audit.export": AuditAction.AUDIT_EXPORTED,
    "patient.create": AuditAction.PATIENT_CREATED,
    "patient.view": AuditAction.PATIENT_VIEWED,
    "patient.list": AuditAction.PATIENT_LISTED,
    "admission.create": AuditAction.ADMISSION_CREATED,
    "admission.view": AuditAction.ADMISSION_VIEWED,
    "admission.list": AuditAction.ADMISSION_LISTED,
    "admission.update": AuditAction.ADMISSION_UPDATED,
    "admission.transfer": AuditAction.ADMISSION_TRANSFERRED,
    "admission.discharge": AuditAction.ADMISSION_DISCHARGED,
    "admission.mrn_conflict": AuditAction.ADMISSION_MRN_CONFLICT_REFUSED,
    "emergency_access.not_found": AuditAction.EMERGENCY_ACCESS_GRANT_REFUSED,
    "assessment.create": AuditAction.ASSESSMENT_CREATED,
    "assessment.view": AuditAction.ASSESSMENT_VIEWED,
    "assessment.list": AuditAction.ASSESSMENT_LISTED,
    "assessment.timeline": AuditAction.ASSESSMENT_TIMELINE_VIEWED,
    "assessment.form_view": AuditAction.ASSESSMENT_FORM_VIEWED,
    "assessments.interval_rules_create": AuditAction.INTERVAL_RULES_CREATED,
    "assessments.interval_rules_change": AuditAction.INTERVAL_RULES_CHANGED,
    "notification.acknowledge": AuditAction.NOTIFICATION_ACKNOWLEDGED,
    "notifications.roster_create": AuditAction.ROSTER_CREATED,
    "notifications.roster_change": AuditAction.ROSTER_CHANGED,
    "report.board.view": AuditAction.BOARD_VIEWED,
    "report.board.refresh": AuditAction.BOARD_REFRESHED,
    "report.period.view": AuditAction.PERIOD_REPORT_VIEWED,
    "report.export": AuditAction.REPORT_EXPORTED,
    "follow_up.list": AuditAction.FOLLOW_UP_LISTED,
    "discharge_summary.read_json": AuditAction.DISCHARGE_SUMMARY_READ_AS_JSON,
    "fhir.read": AuditAction.FHIR_RESOURCE_READ,
    "fhir.everything": AuditAction.FHIR_EVERYTHING_READ,
    "fhir.export_download": AuditAction.FHIR_EXPORT_DOWNLOADED,
}
# admin.<model>.create / change / delete became .created / .changed / .deleted.
LEGACY_ADMIN_VERBS = {"create": "created", "change": "changed", "delete": "deleted"}
_LEGACY_ADMIN_ACTION = re.compile(r"^(admin\.[a-z0-9_]+)\.(create|change|delete)$")


def current_name(action: str) -> str:
    """The name an action has now, for an old row's name (unchanged if it is current)."""
    if action in LEGACY_ACTION_NAMES:
        return str(LEGACY_ACTION_NAMES[action])
    old_admin = _LEGACY_ADMIN_ACTION.match(action)
    if old_admin:
        return f"{old_admin.group(1)}.{LEGACY_ADMIN_VERBS[old_admin.group(2)]}"
    return action


def matching_actions(typed: str) -> Q:
    """Rows whose action starts with ``typed``, under its current or its legacy name.

    "admission.viewed" also finds old "admission.view" rows and "admission.view" finds new
    ones; a prefix such as "report" finds the old "report.export" rows and the new
    "report.exported" ones (and "board" the old "report.board.*" rows).
    """
    typed = typed.strip()
    query = Q(action__startswith=typed)
    current = current_name(typed)
    if current != typed:
        query |= Q(action__startswith=current)
    old_names = [old for old, new in LEGACY_ACTION_NAMES.items() if str(new).startswith(current)]
    if old_names:
        query |= Q(action__in=old_names)
    new_admin = re.match(r"^(admin\.[a-z0-9_]+)\.(created|changed|deleted)$", current)
    if new_admin:
        old_verb = {v: k for k, v in LEGACY_ADMIN_VERBS.items()}[new_admin.group(2)]
        query |= Q(action=f"{new_admin.group(1)}.{old_verb}")
    return query
