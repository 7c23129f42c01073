"""Medication orders: validate, place (signed) and discontinue."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cnt_detox.core import audit, otp
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from medication.models import (
    FormularyItem,
    MedicationOrder,
    OrderKind,
    OrderStatus,
)
from medication.services.common import MAX_DOSE_MG, _require_physician
from patients.models import Admission

ORDER_MEANING = "approved medication order"


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
    actor: User,
    admission: Admission,
    data: OrderInput,
    password: str,
    otp_code: str | None = None,
    supersedes: MedicationOrder | None = None,
    change_reason: str = "",
    client: Client | None = None,
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
            action=AuditAction.MEDICATION_ORDER_SIGNED,
            obj=order,
            patient=admission.patient,
            client=client,
            details={
                "content": json.loads(canonical),
                "digest": order.digest,
                "supersedes": previous.public_id if previous else None,
            },
        )
    return order


def order_discontinue(
    *, actor: User, order: MedicationOrder, reason: str, client: Client | None = None
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
            action=AuditAction.MEDICATION_ORDER_DISCONTINUED,
            obj=locked,
            patient=locked.admission.patient,
            client=client,
            details={"reason": locked.status_reason},
        )
    return locked
