"""Audited reads: every view of a patient record or list leaves an audit event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from patients.models import (
    Admission,
    Patient,
)


def admission_view_audit(
    *, actor: User, admission: Admission, client: Client | None = None, via: str = "page"
) -> None:
    """Every read of a patient record leaves an audit event (architecture.md)."""
    audit.record(
        actor=actor,
        action=AuditAction.ADMISSION_VIEWED,
        obj=admission,
        patient=admission.patient,
        client=client,
        details={"via": via},
    )


def patient_view_audit(
    *, actor: User, patient: Patient, client: Client | None = None, via: str = "api"
) -> None:
    audit.record(
        actor=actor,
        action=AuditAction.PATIENT_VIEWED,
        obj=patient,
        patient=patient,
        client=client,
        details={"via": via},
    )


def list_view_audit(
    *,
    actor: User,
    object_type: str,
    public_ids: Iterable[Any],
    client: Client | None = None,
    via: str = "page",
    filters: Mapping[str, Any] | None = None,
) -> None:
    """One audit row per list view, naming every record shown (not one row per patient)."""
    audit.record(
        actor=actor,
        action=f"{object_type}.listed",
        object_type=f"patients.{object_type}",
        client=client,
        details={"via": via, "shown": [str(p) for p in public_ids], "filters": filters or {}},
    )
