"""Writes of medication orders and their doses (issue 15).

Every service: one transaction, validation with field errors, audit event with the values.
PRN benzodiazepine doses pass the gates of clinical/medication.py inside a lock on the
admission row, so two nurses recording at the same moment cannot together pass the ceiling.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from assessments.models import Assessment, AssessmentStatus
from assessments.services import escalation_raise
from clinical.medication import (
    GateResult,
    PrnOrderFacts,
    diazepam_equivalent,
    prn_gate,
)
from cnt_detox.core import audit, otp
from medication.models import (
    DoseOutcome,
    DoseStatus,
    FormularyItem,
    MedicationDose,
    MedicationOrder,
    OrderKind,
    OrderStatus,
)
from medication.selectors import benzodiazepine_doses_given
from patients.models import Admission

ORDER_MEANING = "approved medication order"
# Upper bound on a typed dose: catches a slipped key (500 for 5.00), not a clinical limit.
MAX_DOSE_MG = Decimal("1000")


class GateRefused(ValidationError):
    """A PRN dose refused by a gate; ``result`` holds the totals to show."""

    def __init__(self, result: GateResult) -> None:
        self.result = result
        super().__init__({"gate": [text for _, text in result.problems]})


def _require_physician(user: Any, what: str) -> None:
    if not getattr(user, "is_physician", False):
        raise PermissionDenied(f"Only physicians {what}.")


def _require_clinician(user: Any) -> None:
    if not (getattr(user, "is_physician", False) or getattr(user, "is_nurse", False)):
        raise PermissionDenied("Only nurses and physicians record doses.")


def _check_credentials(user: Any, password: str, otp_code: str | None) -> bool:
    """Password, then the one-time code when enrolled (like signing a taper plan)."""
    if not password or not user.check_password(password):
        raise ValidationError(
            {"password": ["That password is not correct, so nothing was signed. Try again."]}
        )
    return otp.signing_second_factor(user, otp_code)


@dataclass(frozen=True)
class OrderInput:
    item: FormularyItem
    kind: str
    dose_mg: Decimal
    route: str = "oral"
    times: tuple[str, ...] = ()
    indication: str = ""
    min_interval_minutes: int | None = None
    max_mg_24h: Decimal | None = None
    ciwa_within_minutes: int | None = None
    starts_at: dt.datetime | None = None
    stops_at: dt.datetime | None = None


def _parse_time(value: str) -> str | None:
    try:
        parsed = dt.time.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        return None
    return f"{parsed:%H:%M}"


def _validate(data: OrderInput, admission: Admission, now: dt.datetime) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if not data.item.active:
        errors["item"] = ["This medicine is no longer on the formulary."]
    if data.kind not in OrderKind.values:
        errors["kind"] = ["Choose 'at set times' or 'as needed'."]
    try:
        dose = Decimal(data.dose_mg)
    except (InvalidOperation, TypeError, ValueError):
        dose = Decimal(0)
    if not (Decimal(0) < dose <= MAX_DOSE_MG):
        errors["dose_mg"] = ["Enter a dose in mg above 0 and at most 1000."]
    times: list[str] = []
    if data.kind == OrderKind.SCHEDULED:
        parsed = [_parse_time(t) for t in data.times if str(t).strip()]
        if not parsed or None in parsed:
            errors["times"] = ["Give at least one time of day as HH:MM, e.g. 08:00, 20:00."]
        else:
            times = sorted({t for t in parsed if t})
    interval = data.min_interval_minutes
    ciwa_within = data.ciwa_within_minutes
    if data.kind == OrderKind.PRN:
        if not data.indication.strip():
            errors["indication"] = ["Say when to give it, in words (e.g. 'tremor, sweating')."]
        if interval is None or not (15 <= interval <= 24 * 60):
            errors["min_interval_minutes"] = ["Give the minimum time between doses (15-1440 min)."]
        if data.item.is_benzodiazepine:
            ciwa_within = ciwa_within or settings.PRN_CIWA_WITHIN_MINUTES
            if not (5 <= ciwa_within <= 24 * 60):
                errors["ciwa_within_minutes"] = ["Give a CIWA-B window of 5-1440 minutes."]
    else:
        interval, ciwa_within = None, None
    if data.max_mg_24h is not None and not (Decimal(0) < data.max_mg_24h <= 10 * MAX_DOSE_MG):
        errors["max_mg_24h"] = ["Enter a 24-hour maximum above 0 mg, or leave it empty."]
    elif data.max_mg_24h is not None and data.max_mg_24h < dose and not data.item.is_benzodiazepine:
        errors["max_mg_24h"] = ["The 24-hour maximum is below one dose."]
    starts_at = data.starts_at or now
    # An order starts when it is signed or later: doses before the signature are refused.
    if starts_at < now - dt.timedelta(minutes=5):
        errors["starts_at"] = ["An order starts now or later, not in the past."]
    elif starts_at < admission.admitted_at:
        errors["starts_at"] = ["An order cannot start before the admission."]
    if data.stops_at is not None and data.stops_at <= starts_at:
        errors["stops_at"] = ["The stop time must be after the start."]
    if not admission.is_open:
        errors["non_field_errors"] = ["The patient has been discharged; no new orders."]
    if errors:
        raise ValidationError(errors)
    return {
        "item": data.item,
        "kind": data.kind,
        "dose_mg": dose,
        "route": (data.route or data.item.default_route).strip()[:20],
        "times": times,
        "indication": data.indication.strip() if data.kind == OrderKind.PRN else "",
        "min_interval_minutes": interval,
        "max_mg_24h": data.max_mg_24h,
        "ciwa_within_minutes": ciwa_within,
        "starts_at": starts_at,
        "stops_at": data.stops_at,
    }


def canonical_order(admission: Admission, fields: dict[str, Any], version: int) -> str:
    """What is signed: the order's clinical content as sorted JSON."""
    content = {
        "admission": str(admission.public_id),
        "version": version,
        "medicine": fields["item"].name,
        "agent": fields["item"].agent,
        "form": fields["item"].form,
        **{k: audit._jsonable(v) for k, v in fields.items() if k != "item"},
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)


def order_place(
    *,
    actor: Any,
    admission: Admission,
    data: OrderInput,
    password: str,
    otp_code: str | None = None,
    supersedes: MedicationOrder | None = None,
    change_reason: str = "",
    request: HttpRequest | None = None,
) -> MedicationOrder:
    """Place and sign an order (or a new version of one) in one step."""
    _require_physician(actor, "order medicines")
    now = timezone.now()
    fields = _validate(data, admission, now)
    if supersedes is not None and not change_reason.strip():
        raise ValidationError({"change_reason": ["Say why the order changes."]})
    second = _check_credentials(actor, password, otp_code)
    with transaction.atomic():
        # Lock the admission so two versions of one order cannot be signed at once.
        Admission.objects.select_for_update().get(pk=admission.pk)
        previous = None
        version = 1
        if supersedes is not None:
            previous = MedicationOrder.objects.select_for_update().get(pk=supersedes.pk)
            if previous.status != OrderStatus.ACTIVE or previous.admission_id != admission.pk:
                raise ValidationError(
                    {"non_field_errors": ["That order is no longer active; place a new one."]}
                )
            version = previous.version + 1
            previous.status = OrderStatus.SUPERSEDED
            previous.status_changed_at = now
            previous.status_changed_by = actor
            previous.status_reason = f"Changed to version {version}: {change_reason.strip()}"
            previous.save(
                update_fields=[
                    "status",
                    "status_changed_at",
                    "status_changed_by",
                    "status_reason",
                ]
            )
        canonical = canonical_order(admission, fields, version)
        order = MedicationOrder(
            admission=admission,
            version=version,
            supersedes=previous,
            change_reason=change_reason.strip(),
            signed_by=actor,
            printed_name=actor.display_name,
            signed_at=now,
            meaning=ORDER_MEANING,
            digest=hashlib.sha256(canonical.encode()).hexdigest(),
            second_factor=second,
            **fields,
        )
        order.full_clean()
        order.save()
        audit.record(
            actor=actor,
            action="medication_order.signed",
            obj=order,
            patient=admission.patient,
            request=request,
            details={
                "content": json.loads(canonical),
                "digest": order.digest,
                "supersedes": previous.public_id if previous else None,
            },
        )
    return order


def order_discontinue(
    *, actor: Any, order: MedicationOrder, reason: str, request: HttpRequest | None = None
) -> MedicationOrder:
    _require_physician(actor, "discontinue orders")
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the order is stopped."]})
    with transaction.atomic():
        locked = MedicationOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.ACTIVE:
            raise ValidationError({"non_field_errors": ["This order is no longer active."]})
        locked.status = OrderStatus.DISCONTINUED
        locked.status_reason = reason.strip()
        locked.status_changed_at = timezone.now()
        locked.status_changed_by = actor
        locked.save(
            update_fields=["status", "status_reason", "status_changed_at", "status_changed_by"]
        )
        audit.record(
            actor=actor,
            action="medication_order.discontinued",
            obj=locked,
            patient=locked.admission.patient,
            request=request,
            details={"reason": locked.status_reason},
        )
    return locked


def _last_valid_ciwa(admission: Admission, at: dt.datetime) -> Assessment | None:
    """The latest valid CIWA-B at or before ``at`` (a dose recorded late is judged by the
    assessments that existed when it was given; 5 min allows for device clocks)."""
    return (
        Assessment.objects.filter(
            admission=admission,
            status=AssessmentStatus.VALID,
            assessed_at__lte=at + dt.timedelta(minutes=5),
        )
        .order_by("-assessed_at", "-id")
        .only("id", "assessed_at")
        .first()
    )


def _nearest_prn(
    admission: Admission, order: MedicationOrder, at: dt.datetime
) -> dt.datetime | None:
    """The given PRN dose of the same medicine nearest to ``at``, before or after (two
    indexed lookups)."""
    given = MedicationDose.objects.filter(
        order__admission=admission,
        order__item=order.item,
        order__kind=OrderKind.PRN,
        status=DoseStatus.VALID,
        outcome=DoseOutcome.GIVEN,
    ).values_list("occurred_at", flat=True)
    before = given.filter(occurred_at__lte=at).order_by("-occurred_at").first()
    after = given.filter(occurred_at__gt=at).order_by("occurred_at").first()
    candidates = [t for t in (before, after) if t is not None]
    return min(candidates, key=lambda t: abs(t - at)) if candidates else None


def _check_time(order: MedicationOrder, occurred_at: dt.datetime, now: dt.datetime) -> None:
    if occurred_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": ["The time cannot be in the future."]})
    if occurred_at < order.signed_at or occurred_at < order.starts_at:
        raise ValidationError({"occurred_at": ["The time is before the order was signed."]})
    if order.stops_at is not None and occurred_at > order.stops_at:
        raise ValidationError({"occurred_at": ["The order had stopped by then."]})


def dose_record(
    *,
    actor: Any,
    order: MedicationOrder,
    outcome: str = DoseOutcome.GIVEN,
    occurred_at: dt.datetime | None = None,
    due_at: dt.datetime | None = None,
    reason_text: str = "",
    override_reason: str = "",
    sedation_advice_shown: bool = False,
    request: HttpRequest | None = None,
) -> MedicationDose:
    """Record a dose of an order. PRN benzodiazepine doses given pass the gates; a physician
    may override the 24-hour ceiling (never the CIWA-B gate) with a reason, which is audited
    and escalated to the on-call physician."""
    _require_clinician(actor)
    if getattr(actor, "is_admin", False):
        raise PermissionDenied("Admins do not record doses.")
    now = timezone.now()
    occurred_at = occurred_at or now
    if outcome not in DoseOutcome.values:
        raise ValidationError({"outcome": [f"Choose one of: {', '.join(DoseOutcome.values)}."]})
    if outcome != DoseOutcome.GIVEN and not reason_text.strip():
        raise ValidationError({"reason_text": ["Say why the dose was held or refused."]})
    if order.kind == OrderKind.SCHEDULED and due_at is None:
        raise ValidationError({"due_at": ["Name the scheduled time this dose is for."]})
    if order.kind == OrderKind.PRN:
        due_at = None
    override_reason = override_reason.strip()
    if override_reason and not getattr(actor, "is_physician", False):
        raise PermissionDenied("Only a physician may override the 24-hour maximum.")
    try:
        return _record_locked(
            actor=actor,
            order=order,
            outcome=outcome,
            occurred_at=occurred_at,
            due_at=due_at,
            reason_text=reason_text,
            override_reason=override_reason,
            sedation_advice_shown=sedation_advice_shown,
            now=now,
            request=request,
        )
    except GateRefused as refused:
        # After the rollback, so the refused attempt stays in the audit trail.
        audit.record(
            actor=actor,
            action="medication_dose.refused",
            obj=order,
            patient=order.admission.patient,
            request=request,
            details={
                "codes": list(refused.result.codes),
                "total_after_mg": refused.result.total_after_mg,
            },
        )
        raise


def _record_locked(
    *,
    actor: Any,
    order: MedicationOrder,
    outcome: str,
    occurred_at: dt.datetime,
    due_at: dt.datetime | None,
    reason_text: str,
    override_reason: str,
    sedation_advice_shown: bool,
    now: dt.datetime,
    request: HttpRequest | None,
) -> MedicationDose:
    with transaction.atomic():
        # One PRN decision at a time per patient: the lock makes the 24-hour total read here
        # the one the next recorder sees (two nurses cannot together pass the ceiling).
        admission = Admission.objects.select_for_update().get(pk=order.admission_id)
        locked = MedicationOrder.objects.select_related("item").get(pk=order.pk)
        if locked.status != OrderStatus.ACTIVE:
            raise ValidationError(
                {"non_field_errors": ["This order is no longer active; see the current one."]}
            )
        if not admission.is_open:
            raise ValidationError({"non_field_errors": ["The patient has been discharged."]})
        _check_time(locked, occurred_at, now)
        diazepam_mg = (
            diazepam_equivalent(locked.item.agent, locked.dose_mg)
            if locked.is_benzodiazepine
            else None
        )
        ciwa = None
        total_after = None
        overridden = False
        if outcome == DoseOutcome.GIVEN and locked.is_benzodiazepine:
            given = benzodiazepine_doses_given(admission, occurred_at - dt.timedelta(hours=24))
            if locked.is_prn:
                ciwa = _last_valid_ciwa(admission, occurred_at)
                nearest_prn = _nearest_prn(admission, locked, occurred_at)
                result = prn_gate(
                    PrnOrderFacts(
                        agent=locked.item.agent,
                        dose_mg=locked.dose_mg,
                        min_interval=dt.timedelta(minutes=locked.min_interval_minutes or 0),
                        max_diazepam_mg_24h=locked.max_mg_24h,
                        ciwa_within=dt.timedelta(minutes=locked.ciwa_within_minutes or 0),
                    ),
                    now=occurred_at,
                    last_valid_ciwa_at=ciwa.assessed_at if ciwa else None,
                    nearest_prn_given_at=nearest_prn,
                    doses_given=given,
                )
                total_after = result.total_after_mg
                if not result.ok:
                    if not (result.only_ceiling and override_reason):
                        raise GateRefused(result)
                    overridden = True
            else:
                total_after = sum(
                    (diazepam_equivalent(d.agent, d.mg) for d in given), Decimal(0)
                ) + (diazepam_mg or Decimal(0))
        dose = MedicationDose(
            order=locked,
            due_at=due_at,
            outcome=outcome,
            reason_text=reason_text.strip(),
            mg=locked.dose_mg,
            diazepam_mg=diazepam_mg,
            occurred_at=occurred_at,
            recorded_at=now,
            recorded_by=actor,
            ciwa_assessment=ciwa,
            total_24h_diazepam_mg=total_after,
            override_by=actor if overridden else None,
            override_reason=override_reason if overridden else "",
            sedation_advice_shown=sedation_advice_shown,
        )
        dose.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                dose.save()
        except IntegrityError:
            raise ValidationError(
                {"non_field_errors": ["This dose is already recorded."]}
            ) from None
        audit.record(
            actor=actor,
            action="medication_dose.recorded",
            obj=dose,
            patient=admission.patient,
            request=request,
            details={
                "order": locked.public_id,
                "medicine": locked.item.name,
                "outcome": outcome,
                "mg": locked.dose_mg,
                "occurred_at": occurred_at,
                "total_24h_diazepam_mg": total_after,
                "override_reason": dose.override_reason,
            },
        )
        if overridden:
            escalation_raise(
                admission=admission,
                summary=f"{locked.item.name} 24-hour maximum overridden",
                reason=(
                    f"24-hour benzodiazepine maximum overridden by {actor.display_name}: "
                    f"{total_after.normalize():f} mg diazepam equivalent "
                    f"(order maximum {locked.max_mg_24h.normalize():f} mg). "
                    f"Reason: {override_reason}"
                ),
            )
    return dose


def dose_mark_in_error(
    *, actor: Any, dose: MedicationDose, reason: str, request: HttpRequest | None = None
) -> MedicationDose:
    _require_clinician(actor)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why this record is wrong."]})
    with transaction.atomic():
        locked = MedicationDose.objects.select_for_update().get(pk=dose.pk)
        if locked.status != DoseStatus.VALID:
            raise ValidationError({"non_field_errors": ["Already marked entered in error."]})
        locked.status = DoseStatus.ENTERED_IN_ERROR
        locked.error_reason = reason.strip()
        locked.error_marked_by = actor
        locked.error_marked_at = timezone.now()
        locked.save(update_fields=["status", "error_reason", "error_marked_by", "error_marked_at"])
        audit.record(
            actor=actor,
            action="medication_dose.marked_in_error",
            obj=locked,
            patient=locked.order.admission.patient,
            request=request,
            details={"reason": locked.error_reason},
        )
    return locked
