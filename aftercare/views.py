"""Pages: discharge with readiness, the stay's aftercare page, aftercare plan editing,
follow-ups, summary preview and signing, signed summary (page, print, PDF), patient copy and
the patient's public phone link.

Thin: forms collect input, selectors resolve (other units: 404), services write. Every read
of a summary or patient copy is audited (view, print, download).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from aftercare import patient_copy, pdf, presenters, selectors, services, summary
from aftercare.forms import (
    AftercareForm,
    FollowUpForm,
    FollowUpOutcomeForm,
    ReadinessDischargeForm,
    SummarySignForm,
)
from aftercare.models import FollowUpStatus
from cnt_detox.core import audit
from cnt_detox.core.errors import django_validation_fields
from cnt_detox.core.permissions import clinician_required, physician_required
from patients.forms import attach_service_errors, local_input, to_aware
from patients.selectors import admission_for_user

PAGE_SIZE = 100


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
                    request=request,
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
            action="discharge.readiness_viewed",
            obj=admission,
            patient=admission.patient,
            request=request,
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
        action="aftercare.viewed",
        obj=admission,
        patient=admission.patient,
        request=request,
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
                    request=request,
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
            action="aftercare_plan.viewed",
            obj=admission,
            patient=admission.patient,
            request=request,
            details={"via": "edit page"},
        )
    return render(
        request,
        "aftercare/aftercare_edit.html",
        {"form": form, "admission": admission, "current": current},
        status=status,
    )


@require_POST
@clinician_required
def follow_up_add(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.follow_up_create(
                actor=request.user,
                admission=admission,
                scheduled_at=to_aware(data["scheduled_at"], admission.unit.tz),
                with_whom=data["with_whom"],
                mode=data["mode"],
                location=data["location"],
                notes=data["notes"],
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Follow-up appointment added; the clinic will be reminded.")
            return redirect(_stay_url(admission))
    context = _stay_context(request, admission)
    context["follow_up_form"] = form
    return render(request, "aftercare/stay.html", context, status=400)


@require_POST
@clinician_required
def follow_up_outcome(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    form = FollowUpOutcomeForm(request.POST)
    back = request.POST.get("next") == "clinic"
    target = reverse("aftercare:follow_ups") if back else _stay_url(admission)
    if not form.is_valid():
        messages.error(request, "Choose the outcome; nothing was recorded.")
        return redirect(target)
    follow_up = selectors.follow_up_for_user(request.user, form.cleaned_data["follow_up"])
    if follow_up.admission_id != admission.pk:
        raise Http404("No such follow-up for this patient.")
    data = form.cleaned_data
    try:
        services.follow_up_record(
            actor=request.user,
            follow_up=follow_up,
            status=data["status"],
            note=data["note"],
            adherence=data["adherence"],
            ciwa_b_total=data["ciwa_b_total"],
            request=request,
        )
    except ValidationError as exc:
        messages.error(
            request, " ".join(m for ms in django_validation_fields(exc).values() for m in ms)
        )
    else:
        messages.success(request, "Follow-up recorded.")
    return redirect(target)


@clinician_required
def follow_up_list(request: HttpRequest) -> HttpResponse:
    """The clinic's list of follow-ups (scheduled first by default)."""
    status = request.GET.get("status", FollowUpStatus.SCHEDULED)
    if status not in (*FollowUpStatus.values, "all"):
        status = FollowUpStatus.SCHEDULED
    rows = list(
        selectors.follow_ups_for_user(request.user, status=None if status == "all" else status)[
            :PAGE_SIZE
        ]
    )
    audit.record(
        actor=request.user,
        action="follow_up.list",
        object_type="aftercare.followupappointment",
        request=request,
        details={"shown": [str(f.public_id) for f in rows], "status": status},
    )
    return render(
        request,
        "aftercare/follow_ups.html",
        {
            "rows": rows,
            "status": status,
            "statuses": FollowUpStatus.choices,
            "now": timezone.now(),
            "outcome_form": FollowUpOutcomeForm(),
        },
    )


def _preview(request: HttpRequest, admission: Any, form: Any, status: int = 200) -> HttpResponse:
    content = summary.build_content(admission)
    audit.record(
        actor=request.user,
        action="discharge_summary.previewed",
        obj=admission,
        patient=admission.patient,
        request=request,
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
                request=request,
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
        actor=request.user, summary_row=row, how="viewed", request=request
    )
    return render(request, "aftercare/summary.html", _summary_context(row))


@clinician_required
def summary_print(request: HttpRequest, summary_id: str) -> HttpResponse:
    row = selectors.summary_for_user(request.user, summary_id)
    services.summary_access_audit(
        actor=request.user, summary_row=row, how="printed", request=request
    )
    return render(request, "aftercare/summary_document.html", _summary_context(row))


@clinician_required
def summary_pdf(request: HttpRequest, summary_id: str) -> HttpResponse:
    row = selectors.summary_for_user(request.user, summary_id)
    services.summary_access_audit(
        actor=request.user, summary_row=row, how="downloaded", request=request
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
        actor=request.user, summary_row=row, how="patient_copy_printed", request=request
    )
    return render(request, "aftercare/patient_copy.html", {**_copy_context(row), "staff": True})


@require_POST
@clinician_required
def patient_link_create(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    try:
        link, token = services.patient_link_create(
            actor=request.user, admission=admission, request=request
        )
    except ValidationError as exc:
        messages.error(
            request, " ".join(m for ms in django_validation_fields(exc).values() for m in ms)
        )
        return redirect(_stay_url(admission))
    url = request.build_absolute_uri(
        reverse("aftercare-public:public_copy", kwargs={"token": token})
    )
    # Shown once: only the token's hash is stored, so the link cannot be shown again.
    return render(
        request, "aftercare/link_created.html", {"admission": admission, "link": link, "url": url}
    )


@require_POST
@clinician_required
def patient_link_revoke(request: HttpRequest, admission_id: str, link_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    link = next((lk for lk in selectors.links_for(admission) if str(lk.public_id) == link_id), None)
    if link is None:
        raise Http404("No such link.")
    services.patient_link_revoke(actor=request.user, link=link, request=request)
    messages.success(request, "Link revoked: it shows nothing any more.")
    return redirect(_stay_url(admission))


def public_copy(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's phone page: no login; a wrong, expired or revoked link shows nothing."""
    link = selectors.link_by_token_hash(services.token_hash(token))
    row = selectors.current_summary(link.admission) if link else None
    if link is None or row is None:
        response = render(request, "aftercare/link_gone.html", status=404)
    else:
        services.patient_link_opened(link=link, request=request)
        response = render(
            request,
            "aftercare/patient_copy.html",
            {**_copy_context(row), "staff": False, "expires_at": link.expires_at},
        )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
