"""Writes of the tapering app: draft, edit, sign, amend and discontinue plans; record doses.

Each service runs in one transaction, calls the pure domain (clinical/taper), validates,
saves and leaves an audit event in the same transaction. The HTML pages and the API call
these same functions. Clinical sources: /work/shared/domain/tapering.md sections 5 and 6.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from clinical.taper.plan import (
    PlanResult,
    build_plan,
    canonical_json,
    to_dict,
)
from clinical.taper.rules import second_signature_reasons
from clinical.taper.schedule import ParameterError
from cnt_detox.core import audit, otp
from tapering.inputs import field_errors, request_from_data, request_from_stored, request_to_data
from tapering.models import (
    DoseAdministration,
    PlanSecondSignature,
    PlanSignature,
    PlanStatus,
    RecordStatus,
    TaperPlan,
)
from tapering.plan_content import remaining_as_custom, schedule_doses

SIGNATURE_MEANING = "approved taper plan"
SECOND_SIGNATURE_MEANING = "specialist second signature: approved taper plan"
IN_FORCE = (PlanStatus.ACTIVE,)
# Signed but not yet in force: blocks a second draft like a plan in force does.
SIGNED_OPEN = (PlanStatus.AWAITING_SECOND_SIGNATURE,)


class PlanNotEditable(Exception):
    """The plan is signed (or closed): it is never edited; amend it instead."""


class StaleVersion(Exception):
    """The draft changed since the caller loaded it (optimistic concurrency)."""

    def __init__(self, current: int) -> None:
        self.current = current
        super().__init__(
            f"Another physician changed this draft (now version {current}); "
            "reload it and make your change again."
        )


def _require_physician(user: Any) -> None:
    if not getattr(user, "is_physician", False):
        raise PermissionDenied("Only physicians build, edit, sign or amend taper plans.")


def _require_clinician(user: Any) -> None:
    if not getattr(user, "is_clinician", False):
        raise PermissionDenied("Only nurses and physicians record doses.")


def compute(data: Any) -> PlanResult:
    """Parse inputs and build the plan; bad input is a ValidationError with API field names."""
    try:
        return build_plan(request_from_data(data))
    except ParameterError as err:
        raise ValidationError(field_errors(err)) from None


def digest_of(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _content(result: PlanResult) -> dict[str, Any]:
    canonical = canonical_json(result)
    return {
        "inputs": request_to_data(result.request),
        "result": to_dict(result),
        "canonical_json": canonical,
        "content_digest": digest_of(canonical),
        "target_agent": result.request.target_agent,
        "strategy": result.request.strategy,
        "table_id": result.table_id,
        "table_version": result.table_version,
        "rules_version": result.rules_version,
        "start_date": result.steps[0].start_date,
        "end_date": result.steps[-1].end_date,
        "starting_daily_mg": result.starting_daily_mg,
        "violations": list(result.violations),
    }


def _unit_today(admission: Any) -> dt.date:
    return admission.unit.local_now().date()


def _check_start(admission: Any, result: PlanResult) -> None:
    if result.request.start_date < _unit_today(admission):
        raise ValidationError(
            {"start_date": ["The plan cannot start before today (unit time); change the date."]}
        )


def dose_times(plan: TaperPlan) -> list[str]:
    """The plan's dose times of day (its first step's), in order: what a first dose can be."""
    steps = plan.result.get("steps") or []
    return [d["time"] for d in steps[0]["doses"]] if steps else []


def default_first_dose(plan: TaperPlan, now: dt.datetime | None = None) -> tuple[dt.date, str]:
    """Start date and first dose time proposed at signing: the next dose time from now.

    A plan signed late in the day must not start with the day's earlier doses already late
    (issue 20 item 5): from the plan's start date, the first dose time not yet passed on the
    unit's clock; none left today means tomorrow's first time.
    """
    local = plan.admission.unit.local_now(now)
    times = dose_times(plan) or ["08:00"]
    start = max(plan.start_date, local.date())
    if start > local.date():
        return start, times[0]
    for label in times:
        if dt.time.fromisoformat(label) >= local.time().replace(second=0, microsecond=0):
            return start, label
    return start + dt.timedelta(days=1), times[0]


def _next_version(admission: Any) -> int:
    top = TaperPlan.objects.filter(admission=admission).aggregate(v=Max("version"))["v"]
    return (top or 0) + 1


def plan_create_draft(
    *, admission: Any, by: Any, data: Any, request: HttpRequest | None = None
) -> TaperPlan:
    """A first (or, after a discontinued plan, a fresh) draft plan for ``admission``."""
    _require_physician(by)
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
            created_by=by,
            updated_by=by,
            **_content(result),
        )
        plan.full_clean()
        plan.save()
        audit.record(
            actor=by,
            action="taper_plan.created",
            obj=plan,
            patient=admission.patient,
            request=request,
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
    by: Any,
    data: Any,
    expected_version: int | None,
    request: HttpRequest | None = None,
) -> TaperPlan:
    """Replace a draft's inputs (and so its schedule); ``expected_version`` must be current."""
    _require_physician(by)
    result = compute(data)
    _check_start(plan.admission, result)
    with transaction.atomic():
        locked = _locked_draft(plan, expected_version)
        before = audit.snapshot(locked, ["content_digest", "strategy", "start_date"])
        for name, value in _content(result).items():
            setattr(locked, name, value)
        locked.lock_version += 1
        locked.updated_by, locked.updated_at = by, timezone.now()
        locked.full_clean()
        locked.save()
        audit.record(
            actor=by,
            action="taper_plan.updated",
            obj=locked,
            patient=locked.admission.patient,
            request=request,
            changes=audit.diff(
                before, audit.snapshot(locked, ["content_digest", "strategy", "start_date"])
            ),
            details={"lock_version": locked.lock_version},
        )
    return locked


def _second_factor(user: Any, code: str | None) -> bool:
    return otp.signing_second_factor(user, code)


def plan_sign(
    *,
    plan: TaperPlan,
    by: Any,
    password: str,
    expected_version: int | None,
    override_reason: str = "",
    otp_code: str | None = None,
    request: HttpRequest | None = None,
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
    _require_physician(by)
    if not password or not by.check_password(password):
        # Recorded outside any transaction so the failed attempt stays in the audit trail.
        audit.record(
            actor=by,
            action="taper_plan.sign_refused",
            obj=plan,
            patient=plan.admission.patient,
            request=request,
            details={"reason": "wrong password"},
        )
        raise ValidationError(
            {"password": ["That password is not correct, so nothing was signed. Try again."]}
        )
    second = _second_factor(by, otp_code)
    return _complete_signature(
        plan=plan,
        by=by,
        expected_version=expected_version,
        override_reason=override_reason,
        second_factor=second,
        request=request,
        start_date=start_date,
        first_dose_time=first_dose_time,
    )


def _complete_signature(
    *,
    plan: TaperPlan,
    by: Any,
    expected_version: int | None,
    override_reason: str,
    second_factor: bool,
    request: HttpRequest | None,
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
            signed_by=by,
            printed_name=by.display_name,
            role=by.role,
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
            actor=by,
            action="taper_plan.signed",
            obj=locked,
            patient=admission.patient,
            request=request,
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
    by: Any,
    password: str,
    otp_code: str | None = None,
    request: HttpRequest | None = None,
) -> TaperPlan:
    """The addiction specialist's second signature (issue 15): another physician flagged as
    specialist approves the same content (digest); the plan then comes into force, with doses
    from now on."""
    _require_physician(by)
    if not getattr(by, "is_addiction_specialist", False):
        raise PermissionDenied("Only a physician marked as addiction specialist may co-sign.")
    if not password or not by.check_password(password):
        audit.record(
            actor=by,
            action="taper_plan.second_signature_refused",
            obj=plan,
            patient=plan.admission.patient,
            request=request,
            details={"reason": "wrong password"},
        )
        raise ValidationError(
            {"password": ["That password is not correct, so nothing was signed. Try again."]}
        )
    second = _second_factor(by, otp_code)
    return _complete_second_signature(plan=plan, by=by, second_factor=second, request=request)


def _complete_second_signature(
    *, plan: TaperPlan, by: Any, second_factor: bool, request: HttpRequest | None
) -> TaperPlan:
    """The second signature after the credentials were checked (the demo seeder's entry)."""
    if not getattr(by, "is_addiction_specialist", False):
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
        if locked.signature.signed_by_id == by.pk:
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
            signed_by=by,
            printed_name=by.display_name,
            role=by.role,
            signed_at=now,
            meaning=SECOND_SIGNATURE_MEANING,
            digest=digest,
            reasons=list(second_signature_reasons_for(locked)),
            second_factor=second_factor,
        )
        details = _put_in_force(locked, now, not_before=now)
        audit.record(
            actor=by,
            action="taper_plan.second_signed",
            obj=locked,
            patient=locked.admission.patient,
            request=request,
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


def plan_amend(
    *,
    plan: TaperPlan,
    by: Any,
    reason: str,
    data: Any = None,
    request: HttpRequest | None = None,
) -> TaperPlan:
    """A new draft version of a signed plan, with a reason; it supersedes ``plan`` once signed."""
    _require_physician(by)
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
            created_by=by,
            updated_by=by,
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
            actor=by,
            action="taper_plan.amendment_started",
            obj=draft,
            patient=admission.patient,
            request=request,
            details={"version": draft.version, "supersedes": current.public_id, "reason": reason},
        )
    return draft


def plan_discontinue(
    *, plan: TaperPlan, by: Any, reason: str, request: HttpRequest | None = None
) -> TaperPlan:
    """Stop a plan (draft or in force) with a reason; its remaining doses are no longer due."""
    _require_physician(by)
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
            actor=by,
            action="taper_plan.discontinued",
            obj=locked,
            patient=locked.admission.patient,
            request=request,
            changes={"status": {"old": old, "new": locked.status}},
            details={"reason": reason},
        )
    return locked
