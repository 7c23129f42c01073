"""Reads of the audit log for the admin viewer ("who viewed this patient" is
``patients.viewers``, which knows admissions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from cnt_detox.core.audit_actions import matching_actions
from cnt_detox.core.models import AuditEvent, User

# The explicit permission for a facility-wide auditor (migration 0005). No role group has it:
# an admin reads only their units' events unless someone grants this on purpose.
FACILITY_AUDIT_PERMISSION = "core.view_facility_audit_log"


@dataclass(frozen=True)
class AuditFilter:
    username: str = ""
    patient_public_id: Any = None
    action: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def reads_facility_audit_log(user: Any) -> bool:
    """The user holds the explicit facility-wide auditor permission (never a role default)."""
    return bool(
        getattr(user, "is_authenticated", False) and user.has_perm(FACILITY_AUDIT_PERMISSION)
    )


def audit_patient_ids_for_admin(user: Any) -> QuerySet[Any]:
    """Public ids of patients with any admission (ever) in the admin's units, as a subquery.

    Reached through ``user.units`` (the other side of ``patients.Unit.members``), so core
    needs no import of patients.
    """
    return user.units.filter(admissions__isnull=False).values("admissions__patient__public_id")


def audit_scope(user: Any) -> Q:
    """Q on AuditEvent: what this admin may read.

    Events about patients of their units, and events by users of their units (their staff's
    logins, emergency accesses, exports). Everything else (other units' patients and staff,
    events with neither a patient nor an actor) only with the facility-wide permission.
    """
    if reads_facility_audit_log(user):
        return Q()
    colleagues = User.objects.filter(units__in=user.units.values("pk")).values("pk")
    return Q(patient_public_id__in=audit_patient_ids_for_admin(user)) | Q(actor_id__in=colleagues)


def audit_events(user: Any, filters: AuditFilter) -> QuerySet[AuditEvent]:
    """Audit rows for the admin viewer, newest first, within the admin's scope (audit_scope)."""
    if not getattr(user, "is_authenticated", False) or not user.is_admin_role:
        raise PermissionDenied("Only administrators read the audit log.")
    events = AuditEvent.objects.filter(audit_scope(user))
    if filters.username:
        events = events.filter(actor_username__iexact=filters.username)
    if filters.patient_public_id:
        events = events.filter(patient_public_id=filters.patient_public_id)
    if filters.action:
        # "patient" matches patient.viewed, patient.created...; an exact name matches itself.
        # Rows sealed before the rename keep their old names, so both are searched.
        events = events.filter(matching_actions(filters.action))
    if filters.since:
        events = events.filter(occurred_at__gte=filters.since)
    if filters.until:
        events = events.filter(occurred_at__lt=filters.until)
    return events.order_by("-occurred_at", "-id")


def audit_patient_id_by_mrn(user: Any, mrn: str) -> Any:
    """Public id of the patient with ``mrn`` within the admin's audit scope, else None.

    Another unit's MRN and an unknown MRN give the same None, so the filter is no oracle for
    whether a record exists elsewhere. Looked up through units (``user.units``, the other side
    of ``patients.Unit.members``), so core needs no import of the patients app.
    """
    units = user.units.all()
    if reads_facility_audit_log(user):
        units = User._meta.get_field("units").related_model.objects.all()
    return (
        units.filter(admissions__patient__mrn=(mrn or "").strip())
        .values_list("admissions__patient__public_id", flat=True)
        .first()
    )


def audit_action_names() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
