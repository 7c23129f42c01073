"""Discharge and aftercare pages of a stay: discharge form, stay page, aftercare plan."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from aftercare import presenters, selectors, services
from aftercare.forms import (
    AftercareForm,
    FollowUpForm,
    ReadinessDischargeForm,
)
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.errors import django_validation_fields
from cnt_detox.core.permissions import clinician_required
from patients.forms import attach_service_errors, local_input, to_aware
from patients.selectors import admission_for_user


def _add_errors(form: Any, err: ValidationError) -> None:
    for field, msgs in django_validation_fields(err).items():
        for m in msgs:
            form.add_error(field if field in form.fields else None, m)


def _stay_url(admission: Any) -> str:
    return reverse("aftercare:stay", kwargs={"admission_id": admission.public_id})


@clinician_required
def discharge(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    if not admission.is_open:
        messages.info(request, "This patient is already discharged.")
        return redirect(_stay_url(admission))
    tz = admission.unit.tz
    status = 200
    if request.method == "POST":
        form = ReadinessDischargeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.discharge(
                    actor=request.user,
                    admission=admission,
                    discharged_at=to_aware(data["discharged_at"], tz),
                    reason=data["reason"],
                    override_category=data["override_category"],
                    override_reason=data["override_reason"],
                    acknowledge_warnings=data["acknowledge_warnings"],
                    client=Client.from_request(request),
                )
            except ValidationError as exc:
                attach_service_errors(exc, form)
            else:
                messages.success(
                    request,
                    f"{admission.patient.full_name} discharged. Complete the aftercare plan "
                    "and sign the discharge summary.",
                )
                return redirect(_stay_url(admission))
        status = 400
    else:
        form = ReadinessDischargeForm(initial={"discharged_at": local_input(timezone.now(), tz)})
        audit.record(
            actor=request.user,
            action=AuditAction.DISCHARGE_READINESS_VIEWED,
            obj=admission,
            patient=admission.patient,
            client=Client.from_request(request),
        )
    items = presenters.with_links(selectors.readiness_for(admission), admission)
    return render(
        request,
        "aftercare/discharge.html",
        {
            "form": form,
            "admission": admission,
            "items": items,
            "blockers": [i for i in items if i["level"] == "block"],
            "warnings": [i for i in items if i["level"] == "warn"],
        },
        status=status,
    )


def _stay_context(request: HttpRequest, admission: Any) -> dict[str, Any]:
    audit.record(
        actor=request.user,
        action=AuditAction.AFTERCARE_VIEWED,
        obj=admission,
        patient=admission.patient,
        client=Client.from_request(request),
    )
    return {
        "admission": admission,
        "record": getattr(admission, "discharge_record", None) if admission.discharged_at else None,
        "aftercare": selectors.current_aftercare(admission),
        "aftercare_versions": selectors.aftercare_versions(admission),
        "follow_ups": selectors.follow_ups(admission),
        "summary": selectors.current_summary(admission),
        "summary_versions": selectors.summary_versions(admission),
        "links": selectors.links_for(admission),
        "follow_up_form": FollowUpForm(),
        "now": timezone.now(),
    }


@clinician_required
def stay(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    return render(request, "aftercare/stay.html", _stay_context(request, admission))


@clinician_required
def aftercare_edit(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    groups = selectors.support_groups()
    current = selectors.current_aftercare(admission)
    status = 200
    if request.method == "POST":
        form = AftercareForm(request.POST, groups=groups)
        if form.is_valid():
            data = form.to_data()
            try:
                plan = services.aftercare_plan_save(
                    actor=request.user,
                    admission=admission,
                    data=data,
                    change_reason=data.get("change_reason", ""),
                    expected_version=data.get("expected_version"),
                    client=Client.from_request(request),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, f"Aftercare plan version {plan.version} saved.")
                return redirect(_stay_url(admission))
        status = 400
    else:
        form = AftercareForm(initial=AftercareForm.initial_for(current), groups=groups)
        audit.record(
            actor=request.user,
            action=AuditAction.AFTERCARE_PLAN_VIEWED,
            obj=admission,
            patient=admission.patient,
            client=Client.from_request(request),
            details={"via": "edit page"},
        )
    return render(
        request,
        "aftercare/aftercare_edit.html",
        {"form": form, "admission": admission, "current": current},
        status=status,
    )
