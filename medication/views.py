"""Medication pages: the day's dose record of every medicine, orders, PRN doses (issue 15)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.permissions import clinician_required, physician_required
from medication import selectors, services
from medication.forms import DoseForm, OrderForm, ReasonForm
from medication.models import MedicationOrder, OrderKind
from patients.selectors import admission_for_user
from tapering.selectors import sedation_advice


def _errors(err: ValidationError) -> list[str]:
    if hasattr(err, "message_dict"):
        return [m for msgs in err.message_dict.values() for m in msgs]
    return list(err.messages)


def _record_context(request: HttpRequest, admission: Any) -> dict[str, Any]:
    now = timezone.now()
    local_now = admission.unit.local_now(now)
    return {
        "admission": admission,
        "orders": selectors.active_orders(admission),
        "sedation": sedation_advice(admission),
        "local_now": local_now,
        "tz_name": local_now.tzname(),
        **selectors.day_record(admission, local_now.date(), now),
    }


@clinician_required
def record(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    audit.record(
        actor=request.user,
        action=AuditAction.MEDICATION_RECORD_VIEWED,
        obj=admission,
        patient=admission.patient,
        client=Client.from_request(request),
    )
    return render(request, "medication/record.html", _record_context(request, admission))


def _order_input(data: dict[str, Any]) -> services.OrderInput:
    return services.OrderInput(
        item=data["item"],
        kind=data["kind"],
        dose_mg=data["dose_mg"],
        route=data["route"],
        times=tuple(t for t in (data.get("times") or "").replace(";", ",").split(",") if t.strip()),
        indication=data.get("indication") or "",
        min_interval_minutes=data.get("min_interval_minutes"),
        max_mg_24h=data.get("max_mg_24h"),
        ciwa_within_minutes=data.get("ciwa_within_minutes"),
    )


def _order_page(
    request: HttpRequest, admission: Any, previous: MedicationOrder | None
) -> HttpResponse:
    if request.method == "POST":
        form = OrderForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = services.order_place(
                    actor=request.user,
                    admission=admission,
                    data=_order_input(data),
                    password=data["password"],
                    otp_code=data["otp_code"] or None,
                    supersedes=previous,
                    change_reason=data["change_reason"] or "",
                    client=Client.from_request(request),
                )
            except ValidationError as err:
                for field, msgs in getattr(err, "message_dict", {"__all__": err.messages}).items():
                    target = field if field in form.fields else None
                    for msg in msgs:
                        form.add_error(target, msg)
            else:
                messages.success(request, f"Order signed: {order}.")
                return redirect("medication:record", admission_id=admission.public_id)
    else:
        audit.record(
            actor=request.user,
            action=AuditAction.MEDICATION_ORDER_FORM_VIEWED,
            obj=admission,
            patient=admission.patient,
            client=Client.from_request(request),
        )
        initial: dict[str, Any] = {}
        if previous is not None:
            initial = {
                "item": previous.item_id,
                "kind": previous.kind,
                "dose_mg": previous.dose_mg,
                "route": previous.route,
                "times": ", ".join(previous.times),
                "indication": previous.indication,
                "min_interval_minutes": previous.min_interval_minutes,
                "max_mg_24h": previous.max_mg_24h,
                "ciwa_within_minutes": previous.ciwa_within_minutes,
            }
        form = OrderForm(initial=initial)
    return render(
        request,
        "medication/order_form.html",
        {"admission": admission, "form": form, "previous": previous},
        status=400 if request.method == "POST" else 200,
    )


@physician_required
def order_new(request: HttpRequest, admission_id: str) -> HttpResponse:
    return _order_page(request, admission_for_user(request.user, admission_id), None)


@physician_required
def order_change(request: HttpRequest, order_id: str) -> HttpResponse:
    order = selectors.order_for_user(request.user, order_id)
    return _order_page(request, order.admission, order)


@require_POST
@physician_required
def order_discontinue(request: HttpRequest, order_id: str) -> HttpResponse:
    order = selectors.order_for_user(request.user, order_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the order is stopped; nothing was changed.")
    else:
        try:
            services.order_discontinue(
                actor=request.user,
                order=order,
                reason=form.cleaned_data["reason"],
                client=Client.from_request(request),
            )
        except ValidationError as err:
            messages.error(request, " ".join(_errors(err)))
        else:
            messages.success(request, f"{order.item.name} discontinued.")
    return redirect("medication:record", admission_id=order.admission.public_id)


@require_POST
@clinician_required
def dose_record(request: HttpRequest, order_id: str) -> HttpResponse:
    order = selectors.order_for_user(request.user, order_id)
    admission = order.admission
    form = DoseForm(request.POST)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        occurred = None
        if data["occurred_time"]:
            local = admission.unit.local_now()
            occurred = dt.datetime.combine(
                local.date(), data["occurred_time"], tzinfo=admission.unit.tz
            )
        try:
            dose = services.dose_record(
                actor=request.user,
                order=order,
                outcome=data["outcome"],
                occurred_at=occurred,
                due_at=data["due_at"] if order.kind == OrderKind.SCHEDULED else None,
                reason_text=data["reason_text"],
                override_reason=data["override_reason"],
                sedation_advice_shown=order.item.sedating and sedation_advice(admission)["hold"],
                client=Client.from_request(request),
            )
        except services.GateRefused as refused:
            error = " ".join(text for _, text in refused.result.problems)
            if refused.result.only_ceiling and request.user.is_physician:
                error += (
                    " To give it anyway, enter an override reason (the on-call physician is told)."
                )
        except ValidationError as err:
            error = " ".join(_errors(err))
        except PermissionDenied as err:
            error = str(err)
        else:
            messages.success(
                request,
                f"{order.item.name} {dose.mg.normalize():f} mg "
                f"{dose.get_outcome_display().lower()}.",
            )
            return redirect("medication:record", admission_id=admission.public_id)
    else:
        error = "Check the dose form: " + " ".join(
            f"{k}: {' '.join(v)}" for k, v in form.errors.items()
        )
    context = _record_context(request, admission)
    context.update(error=error, failed_order=order.public_id)
    return render(request, "medication/record.html", context, status=400)


@require_POST
@clinician_required
def dose_in_error(request: HttpRequest, dose_id: str) -> HttpResponse:
    dose = selectors.dose_for_user(request.user, dose_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the record is wrong; nothing was changed.")
    else:
        try:
            services.dose_mark_in_error(
                actor=request.user,
                dose=dose,
                reason=form.cleaned_data["reason"],
                client=Client.from_request(request),
            )
        except ValidationError as err:
            messages.error(request, " ".join(_errors(err)))
        else:
            messages.success(request, "Record marked entered in error.")
    return redirect("medication:record", admission_id=dose.order.admission.public_id)
