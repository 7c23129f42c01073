"""Discharge summary pages: preview, sign, read, print, PDF and patient copy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from aftercare import patient_copy, pdf, presenters, selectors, services, summary
from aftercare.forms import (
    SummarySignForm,
)
from aftercare.views.stay import _add_errors
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.permissions import clinician_required, physician_required
from patients.selectors import admission_for_user


def _preview(request: HttpRequest, admission: Any, form: Any, status: int = 200) -> HttpResponse:
    content = summary.build_content(admission)
    audit.record(
        actor=request.user,
        action=AuditAction.DISCHARGE_SUMMARY_PREVIEWED,
        obj=admission,
        patient=admission.patient,
        client=Client.from_request(request),
    )
    return render(
        request,
        "aftercare/summary_preview.html",
        {
            "admission": admission,
            "s": presenters.shown(content),
            "form": form,
            "current": selectors.current_summary(admission),
        },
        status=status,
    )


@clinician_required
def summary_preview(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    current = selectors.current_summary(admission)
    initial = {}
    if current is not None:
        initial = {
            "other_medicines": current.content.get("other_medicines", ""),
            "notes": current.content.get("notes", ""),
        }
    return _preview(request, admission, SummarySignForm(initial=initial))


@require_POST
@physician_required
def summary_sign(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    form = SummarySignForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            signed = services.summary_sign(
                actor=request.user,
                admission=admission,
                password=data["password"],
                otp_code=data["otp_code"] or None,
                other_medicines=data["other_medicines"],
                notes=data["notes"],
                amendment_reason=data["amendment_reason"],
                client=Client.from_request(request),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Discharge summary version {signed.version} signed.")
            return redirect("aftercare:summary", summary_id=signed.public_id)
    return _preview(request, admission, form, status=400)


def _summary_context(row: Any) -> dict[str, Any]:
    return {
        "facility_name": settings.FACILITY_NAME,
        "row": row,
        "admission": row.admission,
        "s": presenters.shown(row.content),
        "versions": selectors.summary_versions(row.admission),
    }


@clinician_required
def summary_detail(request: HttpRequest, summary_id: str) -> HttpResponse:
    row = selectors.summary_for_user(request.user, summary_id)
    services.summary_access_audit(
        actor=request.user, summary_row=row, how="viewed", client=Client.from_request(request)
    )
    return render(request, "aftercare/summary.html", _summary_context(row))


@clinician_required
def summary_print(request: HttpRequest, summary_id: str) -> HttpResponse:
    row = selectors.summary_for_user(request.user, summary_id)
    services.summary_access_audit(
        actor=request.user, summary_row=row, how="printed", client=Client.from_request(request)
    )
    return render(request, "aftercare/summary_document.html", _summary_context(row))


@clinician_required
def summary_pdf(request: HttpRequest, summary_id: str) -> HttpResponse:
    row = selectors.summary_for_user(request.user, summary_id)
    services.summary_access_audit(
        actor=request.user, summary_row=row, how="downloaded", client=Client.from_request(request)
    )
    body = pdf.summary_pdf(row, request)
    response = HttpResponse(body, content_type="application/pdf")
    name = f"discharge-summary-{row.admission.patient.mrn}-v{row.version}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _copy_context(row: Any) -> dict[str, Any]:
    return {"copy": patient_copy.build(row.content), "row": row}


@clinician_required
def patient_copy_print(request: HttpRequest, summary_id: str) -> HttpResponse:
    row = selectors.summary_for_user(request.user, summary_id)
    services.summary_access_audit(
        actor=request.user,
        summary_row=row,
        how="patient_copy_printed",
        client=Client.from_request(request),
    )
    return render(request, "aftercare/patient_copy.html", {**_copy_context(row), "staff": True})
