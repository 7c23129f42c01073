"""Changes to a signed taper plan: amend (a new version) and discontinue."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from tapering.models import (
    PlanStatus,
    TaperPlan,
)
from tapering.plan_content import remaining_as_custom
from tapering.services.common import (
    IN_FORCE,
    SIGNED_OPEN,
    PlanNotEditable,
    _content,
    _next_version,
    _require_physician,
    _unit_today,
    compute,
)


def plan_amend(
    *,
    plan: TaperPlan,
    actor: User,
    reason: str,
    data: Any = None,
    client: Client | None = None,
) -> TaperPlan:
    """A new draft version of a signed plan, with a reason; it supersedes ``plan`` once signed."""
    _require_physician(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the plan is being amended."]})
    admission = plan.admission
    if data is None:
        data = remaining_as_custom(plan, _unit_today(admission))
    try:
        result = compute(data)
    except ValidationError:
        # The remaining steps may not form a valid plan (e.g. ended mid-way): start from the
        # original inputs from today and let the physician edit.
        result = compute({**plan.inputs, "start_date": _unit_today(admission).isoformat()})
    with transaction.atomic():
        current = TaperPlan.objects.select_for_update().get(pk=plan.pk)
        if current.status not in IN_FORCE:
            raise PlanNotEditable(
                f"Only the plan in force can be amended; version {current.version} is "
                f"{current.get_status_display().lower()}."
            )
        if TaperPlan.objects.filter(admission=admission, status=PlanStatus.DRAFT).exists():
            raise ValidationError(
                {"non_field_errors": ["An amendment is already in draft; edit or sign it."]}
            )
        draft = TaperPlan(
            admission=admission,
            version=_next_version(admission),
            supersedes=current,
            amendment_reason=reason,
            created_by=actor,
            updated_by=actor,
            **_content(result),
        )
        draft.full_clean()
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            raise ValidationError(
                {"non_field_errors": ["Another physician just started an amendment; reload."]}
            ) from None
        audit.record(
            actor=actor,
            action=AuditAction.TAPER_PLAN_AMENDMENT_STARTED,
            obj=draft,
            patient=admission.patient,
            client=client,
            details={"version": draft.version, "supersedes": current.public_id, "reason": reason},
        )
    return draft


def plan_discontinue(
    *, plan: TaperPlan, actor: User, reason: str, client: Client | None = None
) -> TaperPlan:
    """Stop a plan (draft or in force) with a reason; its remaining doses are no longer due."""
    _require_physician(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the plan is discontinued."]})
    with transaction.atomic():
        locked = TaperPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status not in (PlanStatus.DRAFT, *IN_FORCE, *SIGNED_OPEN):
            raise PlanNotEditable(f"Version {locked.version} is already closed.")
        old = locked.status
        locked.status = PlanStatus.DISCONTINUED
        locked.status_changed_at = timezone.now()
        locked.status_reason = reason
        locked.save(update_fields=["status", "status_changed_at", "status_reason"])
        audit.record(
            actor=actor,
            action=AuditAction.TAPER_PLAN_DISCONTINUED,
            obj=locked,
            patient=locked.admission.patient,
            client=client,
            changes={"status": {"old": old, "new": locked.status}},
            details={"reason": reason},
        )
    return locked
