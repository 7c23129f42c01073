"""Aftercare plan versions: referrals, support groups and free-text fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from aftercare import selectors
from aftercare.models import (
    AftercarePlan,
    LevelOfCare,
    ReferralKind,
    SupportGroup,
)
from aftercare.services.common import _require_clinician, _text
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from patients.models import Admission

# --- Aftercare plan -------------------------------------------------------------------------


def _clean_referrals(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, str]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors["referrals"] = ["Give a list of referrals."]
        return []
    out = []
    for n, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors[f"referrals.{n}"] = ["Each referral has kind, provider, first_appointment."]
            continue
        kind = _text(item.get("kind"))
        provider = _text(item.get("provider"))
        when = _text(item.get("first_appointment"))
        if kind not in ReferralKind.values:
            errors[f"referrals.{n}.kind"] = [f"Choose one of: {', '.join(ReferralKind.values)}."]
        if not provider:
            errors[f"referrals.{n}.provider"] = ["Name the provider (service or person)."]
        if when:
            try:
                dt.datetime.fromisoformat(when)
            except ValueError:
                errors[f"referrals.{n}.first_appointment"] = [
                    "Give the date and time as YYYY-MM-DD HH:MM (unit time)."
                ]
        out.append(
            {
                "kind": kind,
                "provider": provider,
                "first_appointment": when,
                "notes": _text(item.get("notes")),
            }
        )
    return out


def _groups(ids: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    if ids in (None, ""):
        return []
    if not isinstance(ids, list | tuple):
        errors["support_groups"] = ["Give a list of support group ids."]
        return []
    wanted = [int(i) for i in ids if str(i).isdigit() and len(str(i)) < 10]
    if len(wanted) != len(ids):
        errors["support_groups"] = ["Choose support groups from the facility list."]
        return []
    found = {g.pk: g for g in SupportGroup.objects.filter(pk__in=wanted, active=True)}
    if len(found) != len(set(wanted)):
        errors["support_groups"] = ["A chosen support group is not on the facility list."]
    return [
        {
            "id": g.pk,
            "name": g.name,
            "contact": g.contact,
            "meetings": g.meetings,
            "description": g.description,
        }
        for g in (found[i] for i in dict.fromkeys(wanted) if i in found)
    ]


TEXT_FIELDS = (
    "level_reason",
    "other_support",
    "triggers",
    "warning_signs",
    "coping_strategies",
    "people_to_call",
    "family_involvement",
    "consent_details",
)


def aftercare_plan_save(
    *,
    actor: User,
    admission: Admission,
    data: Mapping[str, Any],
    change_reason: str = "",
    expected_version: int | None = None,
    client: Client | None = None,
) -> AftercarePlan:
    """A new version of the aftercare plan; the previous one is kept, marked superseded.

    ``expected_version`` (the version the clinician edited; 0 for none) refuses a save over a
    version someone else made meanwhile.
    """
    _require_clinician(actor)
    errors: dict[str, list[str]] = {}
    level = _text(data.get("level_of_care"))
    if level not in LevelOfCare.values:
        errors["level_of_care"] = [f"Choose one of: {', '.join(LevelOfCare.values)}."]
    texts = {name: _text(data.get(name)) for name in TEXT_FIELDS}
    if not texts["level_reason"]:
        errors["level_reason"] = ["Say why this level of care."]
    consent = bool(data.get("consent_to_share"))
    if consent and not texts["consent_details"]:
        errors["consent_details"] = ["Say who may be told what."]
    referrals = _clean_referrals(data.get("referrals"), errors)
    groups = _groups(data.get("support_groups"), errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Lock the admission: two saves at once get distinct versions or a clear refusal.
        Admission.objects.select_for_update().get(pk=admission.pk)
        current = selectors.current_aftercare(admission)
        current_version = current.version if current else 0
        if expected_version is not None and int(expected_version) != current_version:
            raise ValidationError(
                {
                    "non_field_errors": [
                        f"Someone saved version {current_version} meanwhile; reload and make your "
                        "change again."
                    ]
                }
            )
        reason = _text(change_reason)
        if current is not None and not reason:
            raise ValidationError({"change_reason": ["Say what changed and why."]})
        now = timezone.now()
        if current is not None:
            current.superseded_at = now
            current.save(update_fields=["superseded_at"])
        top = AftercarePlan.objects.filter(admission=admission).aggregate(v=Max("version"))["v"]
        plan = AftercarePlan(
            admission=admission,
            version=(top or 0) + 1,
            supersedes=current,
            change_reason=reason,
            level_of_care=level,
            referrals=referrals,
            support_groups=groups,
            consent_to_share=consent,
            created_by=actor,
            created_at=now,
            **texts,
        )
        plan.full_clean()
        plan.save()
        audit.record(
            actor=actor,
            action=AuditAction.AFTERCARE_PLAN_SAVED,
            obj=plan,
            patient=admission.patient,
            client=client,
            details={
                "version": plan.version,
                "supersedes": current.public_id if current else None,
                "reason": reason,
                "level_of_care": level,
            },
        )
    return plan
