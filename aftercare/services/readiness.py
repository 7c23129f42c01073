"""Discharge with its readiness check (overrides need a category and reason)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from aftercare import selectors
from aftercare.models import (
    DischargeRecord,
    OverrideCategory,
)
from aftercare.services.common import _require_clinician, _text
from clinical import discharge as rules
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from patients import services as patient_services
from patients.models import Admission

# --- Discharge ------------------------------------------------------------------------------


def check_readiness(
    admission: Admission, actor: User, override: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Refuse a discharge the readiness rules do not allow (clinical.discharge levels).

    Blockers need a physician, an override category and a reason; warnings need the
    discharging clinician's acknowledgement. Called by the discharge guard for every discharge
    (pages and API of patients too): without ``override`` only blockers refuse, so the plain
    discharge form still works for a patient with nothing open.
    """
    items = selectors.readiness_for(admission)
    blockers = [i for i in items if i["level"] == rules.BLOCK]
    warnings = [i for i in items if i["level"] == rules.WARN]
    errors: dict[str, list[str]] = {}
    if blockers:
        listed = "; ".join(i["message"] for i in blockers)
        if override is None:
            errors["non_field_errors"] = [
                f"Not ready for discharge: {listed} Use the discharge page to discharge with "
                "a reason."
            ]
        else:
            category = _text(override.get("override_category"))
            if not getattr(actor, "is_physician", False):
                errors["non_field_errors"] = [
                    f"Not ready for discharge: {listed} Only a physician can discharge now."
                ]
            elif category not in OverrideCategory.values:
                errors["override_category"] = [
                    "Open items remain: choose why the patient leaves anyway (against medical "
                    "advice, transfer to hospital, other)."
                ]
            elif not _text(override.get("override_reason")):
                errors["override_reason"] = ["Say why the patient is discharged with open items."]
    if warnings and override is not None and not override.get("acknowledge_warnings"):
        errors["acknowledge_warnings"] = [
            "Tick to confirm you have seen: " + "; ".join(i["message"] for i in warnings)
        ]
    if errors:
        raise ValidationError(errors)
    return items


def discharge(
    *,
    actor: User,
    admission: Admission,
    discharged_at: dt.datetime,
    reason: str,
    override_category: str = "",
    override_reason: str = "",
    acknowledge_warnings: bool = False,
    client: Client | None = None,
) -> DischargeRecord:
    """Discharge through the readiness check and keep what was open and why (one transaction)."""
    _require_clinician(actor)
    override = {
        "override_category": _text(override_category),
        "override_reason": _text(override_reason),
        "acknowledge_warnings": bool(acknowledge_warnings),
    }
    with transaction.atomic():
        # Lock first so the items recorded are the ones the discharge was checked against.
        locked = Admission.objects.select_for_update().get(pk=admission.pk)
        items = check_readiness(locked, actor, override) if locked.is_open else []
        discharged = patient_services.admission_discharge(
            actor=actor,
            admission=locked,
            discharged_at=discharged_at,
            reason=reason,
            client=client,
            override=override,
        )
        blocked = any(i["level"] == rules.BLOCK for i in items)
        record = DischargeRecord(
            admission=discharged,
            discharged_by=actor,
            readiness=items,
            rules_version=rules.RULES_VERSION,
            override_category=override["override_category"] if blocked else "",
            override_reason=override["override_reason"] if blocked else "",
            warnings_acknowledged=bool(items) and override["acknowledge_warnings"],
        )
        record.full_clean()
        record.save()
        audit.record(
            actor=actor,
            action=AuditAction.DISCHARGE_READINESS_RECORDED,
            obj=record,
            patient=discharged.patient,
            client=client,
            details={
                "open_items": [i["code"] for i in items],
                "override_category": record.override_category,
                "override_reason": record.override_reason,
                "rules_version": rules.RULES_VERSION,
            },
        )
    admission.refresh_from_db()
    return record
