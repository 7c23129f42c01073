"""Pages of the intake: patient list, admit, detail, edit intake, transfer, discharge.

Clinician-only (nurses and physicians): admins get 403 here; they read the census and audit
log through the reports and audit pages, never the clinical record. Another unit's patient
is a 404 (selectors). Every page read of patient data leaves an audit event.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from clinical.equivalence import TABLES, EquivalenceError, convert
from cnt_detox.core import registry
from cnt_detox.core.audit import Client
from cnt_detox.core.permissions import clinician_required
from patients import services
from patients.forms import (
    AdmissionForm,
    DischargeForm,
    IntakeEditForm,
    SubstanceFormSet,
    TransferForm,
    attach_service_errors,
    local_input,
    substance_initial,
    to_aware,
)
from patients.intake import NO_CONVERSION_ADVICE
from patients.models import Admission
from patients.selectors import (
    admission_detail_for_user,
    admission_for_user,
    free_beds_for_user,
    open_admissions_for_user,
    unit_for_user,
    units_for_user,
)
from patients.validation import PATIENT_FIELDS
from patients.viewers import viewers_of_patient

PAGE_SIZE = 50


@clinician_required
def patient_list(request: HttpRequest) -> HttpResponse:
    units = list(units_for_user(request.user))
    unit = unit_for_user(request.user, request.GET["unit"]) if request.GET.get("unit") else None
    page = Paginator(open_admissions_for_user(request.user, unit), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = [
        {
            "admission": a,
            "age": a.patient.age_on(a.unit.local_now(now).date()),
            "day": a.day_of_stay(now),
        }
        for a in page
    ]
    services.list_view_audit(
        actor=request.user,
        object_type="admission",
        public_ids=[r["admission"].public_id for r in rows],
        client=Client.from_request(request),
        filters={"unit": str(unit.public_id) if unit else "", "page": page.number},
    )
    return render(
        request,
        "patients/list.html",
        {"units": units, "unit": unit, "rows": rows, "page": page},
    )


def _substance_rows(formset: Any, tz: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    forms = formset.filled_forms()
    return [f.row(tz) for f in forms], forms


@clinician_required
def admit(request: HttpRequest) -> HttpResponse:
    beds = list(free_beds_for_user(request.user))
    if request.method == "POST":
        form = AdmissionForm(request.POST, beds=beds)
        formset = SubstanceFormSet(request.POST, prefix="substances")
        if form.is_valid() and formset.is_valid():
            bed = form.chosen_bed
            tz = bed.unit.tz
            rows, row_forms = _substance_rows(formset, tz)
            data = form.cleaned_data
            try:
                admission = services.admission_create(
                    actor=request.user,
                    patient={k: data[k] for k in PATIENT_FIELDS},
                    unit_id=bed.unit.public_id,
                    bed_id=bed.public_id,
                    admitted_at=to_aware(data["admitted_at"], tz),
                    substances=rows,
                    history=form.history(),
                    referral_notes=data["referral_notes"],
                    client=Client.from_request(request),
                )
            except ValidationError as exc:
                attach_service_errors(exc, form, row_forms)
            else:
                messages.success(request, f"{admission.patient.full_name} admitted.")
                return redirect("patients:detail", public_id=admission.public_id)
    else:
        first = units_for_user(request.user).first()
        now = local_input(timezone.now(), first.tz) if first else ""
        form = AdmissionForm(beds=beds, initial={"admitted_at": now})
        formset = SubstanceFormSet(prefix="substances")
    return render(
        request,
        "patients/admit.html",
        {"form": form, "formset": formset, "has_beds": bool(beds)},
        status=400 if request.method == "POST" else 200,
    )


def _breakdown(admission: Admission) -> list[dict[str, Any]]:
    """Per-agent lines: stored conversion, and what every other table gives (equivalence.md:
    the physician sees the other tables beside the chosen one)."""
    table_id = admission.equivalence_table
    lines = []
    for row in admission.substances.all():
        others: list[dict[str, Any]] = []
        note = ""
        if row.agent == row.OTHER:
            note = NO_CONVERSION_ADVICE
        else:
            for table in TABLES.values():
                if table.id == table_id or row.agent not in table.factors:
                    continue
                try:
                    low, high = convert(row.agent, row.daily_dose_mg, table.id).range_mg
                except EquivalenceError:
                    continue
                others.append({"table": table.id, "low": low, "high": high})
            if row.diazepam_mg is None:
                note = f"no conversion in table {table_id}: titrate to the lowest dose that "
                note += "controls withdrawal"
        lines.append({"row": row, "others": others, "note": note})
    return lines


@clinician_required
def detail(request: HttpRequest, public_id: str) -> HttpResponse:
    admission = admission_detail_for_user(request.user, public_id)
    services.admission_view_audit(
        actor=request.user, admission=admission, client=Client.from_request(request)
    )
    now = timezone.now()
    return render(
        request,
        "patients/detail.html",
        {
            "admission": admission,
            "patient": admission.patient,
            "age": admission.patient.age_on(admission.unit.local_now(now).date()),
            "day": admission.day_of_stay(now),
            "lines": _breakdown(admission),
            "table": TABLES.get(admission.equivalence_table),
            "movements": list(admission.movements.all()),
            # Latest CIWA-B, next check, taper status: from the apps that own them.
            **registry.patient_context(request.user, admission, now),
            "patient_panels": registry.patient_panels(),
            "patient_viewers": (
                viewers_of_patient(request.user, admission.patient)
                if request.user.is_physician
                else None
            ),
        },
    )


@clinician_required
def edit_intake(request: HttpRequest, public_id: str) -> HttpResponse:
    admission = admission_detail_for_user(request.user, public_id)
    tz = admission.unit.tz
    if request.method == "POST":
        form = IntakeEditForm(request.POST)
        formset = SubstanceFormSet(request.POST, prefix="substances")
        if form.is_valid() and formset.is_valid():
            rows, row_forms = _substance_rows(formset, tz)
            data = form.cleaned_data
            try:
                services.admission_update_intake(
                    actor=request.user,
                    admission=admission,
                    patient={
                        k: data[k] for k in ("first_name", "last_name", "date_of_birth", "sex")
                    },
                    admitted_at=to_aware(data["admitted_at"], tz),
                    substances=rows,
                    history=form.history(),
                    referral_notes=data["referral_notes"],
                    client=Client.from_request(request),
                )
            except ValidationError as exc:
                attach_service_errors(exc, form, row_forms)
            else:
                messages.success(request, "Intake saved; dose, risk and flags recomputed.")
                return redirect("patients:detail", public_id=admission.public_id)
    else:
        services.admission_view_audit(
            actor=request.user,
            admission=admission,
            client=Client.from_request(request),
            via="edit page",
        )
        form = IntakeEditForm(initial=IntakeEditForm.initial_for(admission))
        formset = SubstanceFormSet(prefix="substances", initial=substance_initial(admission))
    return render(
        request,
        "patients/edit.html",
        {"form": form, "formset": formset, "admission": admission},
        status=400 if request.method == "POST" else 200,
    )


@clinician_required
def transfer(request: HttpRequest, public_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, public_id)
    beds = list(free_beds_for_user(request.user))
    form = TransferForm(request.POST or None, beds=beds)
    if request.method == "POST" and form.is_valid():
        bed = form.chosen_bed
        try:
            services.admission_transfer(
                actor=request.user,
                admission=admission,
                unit_id=bed.unit.public_id,
                bed_id=bed.public_id,
                reason=form.cleaned_data["reason"],
                client=Client.from_request(request),
            )
        except ValidationError as exc:
            attach_service_errors(exc, form)
        else:
            messages.success(request, f"Moved to {bed.unit.name}, bed {bed.label}.")
            return redirect("patients:detail", public_id=admission.public_id)
    return render(
        request,
        "patients/transfer.html",
        {"form": form, "admission": admission},
        status=400 if request.method == "POST" else 200,
    )


@clinician_required
def discharge(request: HttpRequest, public_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, public_id)
    tz = admission.unit.tz
    if request.method == "POST":
        form = DischargeForm(request.POST)
        if form.is_valid():
            try:
                services.admission_discharge(
                    actor=request.user,
                    admission=admission,
                    discharged_at=to_aware(form.cleaned_data["discharged_at"], tz),
                    reason=form.cleaned_data["reason"],
                    client=Client.from_request(request),
                )
            except ValidationError as exc:
                attach_service_errors(exc, form)
            else:
                messages.success(request, f"{admission.patient.full_name} discharged.")
                return redirect("patients:list")
    else:
        form = DischargeForm(initial={"discharged_at": local_input(timezone.now(), tz)})
    return render(
        request,
        "patients/discharge.html",
        {"form": form, "admission": admission},
        status=400 if request.method == "POST" else 200,
    )
