"""Who opened or changed a patient's record, for the patient's physicians (from the audit log)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import Http404

from cnt_detox.core.models import AuditEvent
from patients.models import EmergencyAccess
from patients.selectors import admissions_for_user


@dataclass(frozen=True)
class PatientViewer:
    username: str
    display_name: str
    role: str
    accesses: int
    last_at: dt.datetime
    emergency: bool


def viewers_of_patient(user: Any, patient: Any) -> list[PatientViewer]:
    """Everyone who opened or changed this patient's record, for the patient's physicians.

    404 when the patient is not in the physician's units (or emergency grants), 403 for other
    roles. One query for the events and one for emergency grants, whatever the number of rows.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_physician:
        raise PermissionDenied("Only physicians see who viewed a patient.")
    if not admissions_for_user(user).filter(patient=patient).exists():
        raise Http404("No such patient.")
    rows = (
        AuditEvent.objects.filter(patient_public_id=patient.public_id, actor__isnull=False)
        .values("actor_username", "actor__first_name", "actor__last_name", "actor__role")
        .annotate(accesses=Count("id"), last_at=Max("occurred_at"))
        .order_by("-last_at")
    )
    emergency_users = set(
        EmergencyAccess.objects.filter(admission__patient=patient).values_list(
            "user__username", flat=True
        )
    )
    viewers = []
    for row in rows:
        full = f"{row['actor__first_name']} {row['actor__last_name']}".strip()
        viewers.append(
            PatientViewer(
                username=row["actor_username"],
                display_name=full or row["actor_username"],
                role=row["actor__role"] or "",
                accesses=row["accesses"],
                last_at=row["last_at"],
                emergency=row["actor_username"] in emergency_users,
            )
        )
    return viewers
