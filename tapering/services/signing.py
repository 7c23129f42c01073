"""Taper plan signatures: first and specialist second signature, putting a plan in force."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clinical.taper.plan import (
    build_plan,
    canonical_json,
)
from clinical.taper.rules import second_signature_reasons
from clinical.taper.schedule import ParameterError
from cnt_detox.core import audit, otp
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from tapering.inputs import field_errors, request_from_stored
from tapering.models import (
    DoseAdministration,
    PlanSecondSignature,
    PlanSignature,
    PlanStatus,
    RecordStatus,
    TaperPlan,
)
from tapering.plan_content import schedule_doses
from tapering.services.common import (
    IN_FORCE,
    SECOND_SIGNATURE_MEANING,
    SIGNATURE_MEANING,
    PlanNotEditable,
    _check_start,
    _content,
    _require_physician,
    default_first_dose,
    digest_of,
    dose_times,
)
from tapering.services.drafts import _locked_draft


def _second_factor(user: Any, code: str | None) -> bool:
    return otp.signing_second_factor(user, code)


def _check_password(
    actor: User, password: str, plan: TaperPlan, refused: AuditAction, client: Client | None
) -> None:
    """The signer's password, or ValidationError; a refusal is audited as ``refused``.

    Recorded outside any transaction so the failed attempt stays in the audit trail.
    """
    if password and actor.check_password(password):
        return
    audit.record(
        actor=actor,
        action=refused,
        obj=plan,
        patient=plan.admission.patient,
        client=client,
        details={"reason": "wrong password"},
    )
    raise ValidationError(
        {"password": ["That password is not correct, so nothing was signed. Try again."]}
    )


def plan_sign(
    *,
    plan: TaperPlan,
    actor: User,
    password: str,
    expected_version: int | None,
    override_reason: str = "",
    otp_code: str | None = None,
    client: Client | None = None,
    start_date: dt.date | None = None,
    first_dose_time: str | None = None,
) -> TaperPlan:
    """Sign a draft (tapering.md 5): password (and one-time code if enrolled), then activate.

    The signature stores printed name, role, time, meaning and the SHA-256 of the canonical
    JSON. A plan with a rule violation needs an override reason, kept with the signature.
    Signing an amendment supersedes the plan it amends in the same transaction.

    The physician picks the start date and the first dose time at signing (default: the next
    dose time from now, ``default_first_dose``); the plan is rebuilt from them before it is
    signed, so the signed content (and digest) holds the dates and times actually scheduled,
    and the start date's earlier times are not scheduled.
    """
    _require_physician(actor)
    _check_password(actor, password, plan, AuditAction.TAPER_PLAN_SIGN_REFUSED, client)
    second = _second_factor(actor, otp_code)
    return _complete_signature(
        plan=plan,
        actor=actor,
        expected_version=expected_version,
        override_reason=override_reason,
        second_factor=second,
        client=client,
        start_date=start_date,
        first_dose_time=first_dose_time,
    )


def _complete_signature(
    *,
    plan: TaperPlan,
    actor: User,
    expected_version: int | None,
    override_reason: str,
    second_factor: bool,
    client: Client | None,
    start_date: dt.date | None = None,
    first_dose_time: str | None = None,
) -> TaperPlan:
    """Everything of signing after the credentials were checked (the demo seeder's entry)."""
    override_reason = (override_reason or "").strip()
    with transaction.atomic():
        locked = _locked_draft(plan, expected_version)
        admission = locked.admission
        rebuilt = build_plan(request_from_stored(locked.inputs))
        if canonical_json(rebuilt) != locked.canonical_json:
            raise ValidationError(
                {"non_field_errors": ["The stored plan no longer reproduces; save it again."]}
            )
        _apply_first_dose(locked, start_date, first_dose_time)
        rebuilt = build_plan(request_from_stored(locked.inputs))
        _check_start(admission, rebuilt)
        if locked.violations and not override_reason:
            codes = ", ".join(locked.violations)
            raise ValidationError(
                {"override_reason": [f"This plan breaks a rule ({codes}); give a reason to sign."]}
            )
        signed_at = timezone.now()
        signature = PlanSignature.objects.create(
            plan=locked,
            # The same clock as the first-dose check above: doses are judged against it.
            signed_at=signed_at,
            signed_by=actor,
            printed_name=actor.display_name,
            role=actor.role,
            meaning=SIGNATURE_MEANING,
            digest=digest_of(locked.canonical_json),
            override_reason=override_reason if locked.violations else "",
            overridden_codes=list(locked.violations),
            second_factor=second_factor,
        )
        needs_second = second_signature_reasons_for(locked)
        details: dict[str, Any] = {
            "version": locked.version,
            "digest": signature.digest,
            "meaning": SIGNATURE_MEANING,
            "override_reason": signature.override_reason,
            "overridden_codes": signature.overridden_codes,
        }
        if needs_second:
            # Not in force until a specialist signs too (issue 15): the plan in force, if any,
            # stays so meanwhile, and no dose is scheduled.
            locked.status = PlanStatus.AWAITING_SECOND_SIGNATURE
            locked.status_changed_at = signed_at
            locked.status_reason = " ".join(needs_second)
            locked.save(update_fields=["status", "status_changed_at", "status_reason"])
            details["awaiting_second_signature"] = list(needs_second)
        else:
            details.update(_put_in_force(locked, signed_at, not_before=None))
        audit.record(
            actor=actor,
            action=AuditAction.TAPER_PLAN_SIGNED,
            obj=locked,
            patient=admission.patient,
            client=client,
            details=details,
        )
    return locked


def second_signature_reasons_for(plan: TaperPlan) -> tuple[str, ...]:
    """Why this plan needs a specialist's second signature (clinical.taper.rules); none when
    the facility turned the requirement off (``TAPER_SECOND_SIGNATURE``)."""
    if not settings.TAPER_SECOND_SIGNATURE:
        return ()
    warning_codes = [w["code"] for w in plan.result.get("warnings", [])]
    return second_signature_reasons(warning_codes, list(plan.violations))


def _put_in_force(
    plan: TaperPlan, when: dt.datetime, *, not_before: dt.datetime | None
) -> dict[str, Any]:
    """Supersede the version it amends, make it active and schedule its doses; the caller holds
    the plan's row lock and records the audit event."""
    previous = None
    if plan.supersedes_id:
        previous = TaperPlan.objects.select_for_update().get(pk=plan.supersedes_id)
        if previous.status not in IN_FORCE:
            raise PlanNotEditable(
                f"Version {previous.version} is no longer in force; start a new plan."
            )
        previous.status = PlanStatus.SUPERSEDED
        previous.status_changed_at = when
        previous.status_reason = f"Superseded by version {plan.version}."
        previous.save(update_fields=["status", "status_changed_at", "status_reason"])
    plan.status = PlanStatus.ACTIVE
    plan.status_changed_at = when
    plan.save(update_fields=["status", "status_changed_at"])
    given = set()
    if previous is not None:
        given = set(
            DoseAdministration.objects.filter(
                scheduled_dose__plan=previous, status=RecordStatus.VALID
            ).values_list("scheduled_dose__date", "scheduled_dose__time")
        )
    count = schedule_doses(plan, given, not_before=not_before)
    return {"supersedes": previous.public_id if previous else None, "scheduled_doses": count}


def plan_second_sign(
    *,
    plan: TaperPlan,
    actor: User,
    password: str,
    otp_code: str | None = None,
    client: Client | None = None,
) -> TaperPlan:
    """The addiction specialist's second signature (issue 15): another physician flagged as
    specialist approves the same content (digest); the plan then comes into force, with doses
    from now on."""
    _require_physician(actor)
    if not getattr(actor, "is_addiction_specialist", False):
        raise PermissionDenied("Only a physician marked as addiction specialist may co-sign.")
    _check_password(actor, password, plan, AuditAction.TAPER_PLAN_SECOND_SIGNATURE_REFUSED, client)
    second = _second_factor(actor, otp_code)
    return _complete_second_signature(plan=plan, actor=actor, second_factor=second, client=client)


def _complete_second_signature(
    *, plan: TaperPlan, actor: User, second_factor: bool, client: Client | None
) -> TaperPlan:
    """The second signature after the credentials were checked (the demo seeder's entry)."""
    if not getattr(actor, "is_addiction_specialist", False):
        raise PermissionDenied("Only a physician marked as addiction specialist may co-sign.")
    with transaction.atomic():
        locked = (
            TaperPlan.objects.select_for_update(of=("self",))
            .select_related("signature")
            .get(pk=plan.pk)
        )
        if locked.status != PlanStatus.AWAITING_SECOND_SIGNATURE:
            raise PlanNotEditable(
                f"Version {locked.version} is {locked.get_status_display().lower()}; "
                "it is not waiting for a second signature."
            )
        if locked.signature.signed_by_id == actor.pk:
            raise ValidationError(
                {"non_field_errors": ["The second signature must come from another physician."]}
            )
        digest = digest_of(locked.canonical_json)
        if digest != locked.signature.digest:
            raise ValidationError(
                {"non_field_errors": ["The stored plan no longer matches its first signature."]}
            )
        now = timezone.now()
        cosign = PlanSecondSignature.objects.create(
            plan=locked,
            signed_by=actor,
            printed_name=actor.display_name,
            role=actor.role,
            signed_at=now,
            meaning=SECOND_SIGNATURE_MEANING,
            digest=digest,
            reasons=list(second_signature_reasons_for(locked)),
            second_factor=second_factor,
        )
        details = _put_in_force(locked, now, not_before=now)
        audit.record(
            actor=actor,
            action=AuditAction.TAPER_PLAN_SECOND_SIGNED,
            obj=locked,
            patient=locked.admission.patient,
            client=client,
            details={
                "version": locked.version,
                "digest": cosign.digest,
                "meaning": SECOND_SIGNATURE_MEANING,
                "reasons": cosign.reasons,
                **details,
            },
        )
    return locked


def _apply_first_dose(
    plan: TaperPlan, start_date: dt.date | None, first_dose_time: str | None
) -> None:
    """Set the plan's start date and first dose time chosen at signing (rebuilt, not saved
    as a separate edit: the signing transaction saves it with the signature).

    Refused: a time that is not one of the plan's dose times, and a first dose already late
    by the ward's late threshold (``DOSE_LATE_MINUTES``: it would alert as soon as signed).
    """
    default_day, default_time = default_first_dose(plan)
    day = start_date or default_day
    label = first_dose_time or default_time
    if label not in dose_times(plan):
        raise ValidationError(
            {
                "first_dose_time": [
                    f"Choose one of the plan's dose times: {', '.join(dose_times(plan))}."
                ]
            }
        )
    tz = plan.admission.unit.tz
    due = dt.datetime.combine(day, dt.time.fromisoformat(label), tzinfo=tz)
    if due < timezone.now() - dt.timedelta(minutes=settings.DOSE_LATE_MINUTES):
        raise ValidationError(
            {
                "first_dose_time": [
                    f"The {label} dose on {day.isoformat()} is already past; choose a later "
                    "time or start tomorrow."
                ]
            }
        )
    # The day's first time is stored as None, so a plan that starts with it keeps the content
    # it was built with.
    stored = None if label == dose_times(plan)[0] else label
    if (
        plan.inputs.get("start_date") == day.isoformat()
        and plan.inputs.get("first_dose_time") == stored
    ):
        return
    data = {**plan.inputs, "start_date": day.isoformat(), "first_dose_time": stored}
    try:
        result = build_plan(request_from_stored(data))
    except ParameterError as err:
        raise ValidationError(field_errors(err)) from None
    content = _content(result)
    for name, value in content.items():
        setattr(plan, name, value)
    plan.save(update_fields=list(content))
