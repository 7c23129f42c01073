"""Taper plan drafts: create and edit a draft before it is signed."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from tapering.models import (
    PlanStatus,
    TaperPlan,
)
from tapering.services.common import (
    IN_FORCE,
    SIGNED_OPEN,
    PlanNotEditable,
    StaleVersion,
    _check_start,
    _content,
    _next_version,
    _require_physician,
    compute,
)


def plan_create_draft(
    *, admission: Any, actor: User, data: Any, client: Client | None = None
) -> TaperPlan:
    """A first (or, after a discontinued plan, a fresh) draft plan for ``admission``."""
    _require_physician(actor)
    result = compute(data)
    _check_start(admission, result)
    with transaction.atomic():
        # Lock the admission row so two physicians starting a plan at once get distinct
        # versions, and the second one a clear message instead of an integrity error.
        type(admission).objects.select_for_update().get(pk=admission.pk)
        open_plan = TaperPlan.objects.filter(
            admission=admission, status__in=[PlanStatus.DRAFT, *IN_FORCE, *SIGNED_OPEN]
        ).first()
        if open_plan is not None:
            what = "a draft" if open_plan.is_draft else "a signed plan; amend it"
            raise ValidationError({"non_field_errors": [f"This admission already has {what}."]})
        plan = TaperPlan(
            admission=admission,
            version=_next_version(admission),
            created_by=actor,
            updated_by=actor,
            **_content(result),
        )
        plan.full_clean()
        plan.save()
        audit.record(
            actor=actor,
            action=AuditAction.TAPER_PLAN_CREATED,
            obj=plan,
            patient=admission.patient,
            client=client,
            details={"version": plan.version, "digest": plan.content_digest},
        )
    return plan


def _locked_draft(plan: TaperPlan, expected_version: int | None) -> TaperPlan:
    locked = TaperPlan.objects.select_for_update().get(pk=plan.pk)
    if not locked.is_draft:
        raise PlanNotEditable(
            f"Version {locked.version} is {locked.get_status_display().lower()} and cannot be "
            "changed; amend it to make a new version."
        )
    if expected_version is None or int(expected_version) != locked.lock_version:
        raise StaleVersion(locked.lock_version)
    return locked


def plan_update_draft(
    *,
    plan: TaperPlan,
    actor: User,
    data: Any,
    expected_version: int | None,
    client: Client | None = None,
) -> TaperPlan:
    """Replace a draft's inputs (and so its schedule); ``expected_version`` must be current."""
    _require_physician(actor)
    result = compute(data)
    _check_start(plan.admission, result)
    with transaction.atomic():
        locked = _locked_draft(plan, expected_version)
        before = audit.snapshot(locked, ["content_digest", "strategy", "start_date"])
        for name, value in _content(result).items():
            setattr(locked, name, value)
        locked.lock_version += 1
        locked.updated_by, locked.updated_at = actor, timezone.now()
        locked.full_clean()
        locked.save()
        audit.record(
            actor=actor,
            action=AuditAction.TAPER_PLAN_UPDATED,
            obj=locked,
            patient=locked.admission.patient,
            client=client,
            changes=audit.diff(
                before, audit.snapshot(locked, ["content_digest", "strategy", "start_date"])
            ),
            details={"lock_version": locked.lock_version},
        )
    return locked
