"""Pages: builder with preview, plan page with signature and versions, print view, today's doses.

Thin: forms collect input, selectors resolve (other units: 404), services write. Every page
works without JavaScript: "Preview" is a plain form POST that re-renders with the schedule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinical.taper.plan import to_dict
from clinical.taper.rounding import format_mg
from clinical.taper.rules import INPATIENT_LIMITS_TEXT
from cnt_detox.core import audit, offline
from cnt_detox.core.errors import django_validation_fields
from cnt_detox.core.permissions import clinician_required, physician_required
from patients.selectors import admission_for_user
from tapering import dose_services, selectors, services
from tapering.forms import (
    BuilderForm,
    DoseForm,
    InErrorForm,
    ReasonForm,
    SecondSignForm,
    SignForm,
    initial_from_inputs,
    steps_text,
)
from tapering.inputs import default_table
from tapering.models import PlanStatus
from tapering.presenters import present


def _errors_text(err: ValidationError) -> list[str]:
    return [
        (m if field == "non_field_errors" else f"{field.replace('_', ' ')}: {m}")
        for field, msgs in django_validation_fields(err).items()
        for m in msgs
    ]


def _default_initial(admission: Any) -> dict[str, Any]:
    if admission is not None:
        data = selectors.intake_plan_data(admission, admission.unit.local_now().date())
        data["table"] = data["table"] or default_table()
        return initial_from_inputs(data)
    return {
        "table": default_table(),
        "strategy": "inpatient",
        "target_agent": "diazepam",
        "start_date": timezone.now().date().isoformat(),
        "apply_rate_rule": True,
    }


def _builder(request: HttpRequest, admission: Any, plan: Any) -> HttpResponse:
    preview, status = None, 200
    if request.method == "POST":
        form = BuilderForm(request.POST)
        form.is_valid()
        action = request.POST.get("action", "preview")
        data = form.to_data() if hasattr(form, "cleaned_data") else {}
        try:
            result = services.compute(data)
        except ValidationError as err:
            form.add_api_errors(django_validation_fields(err))
            status = 400
        else:
            preview = present(to_dict(result))
            if action == "to_custom":
                steps = [
                    {"days": s["days"], "daily_total_mg": s["daily_total_mg"], "note": ""}
                    for s in preview["steps"]
                ]
                post = request.POST.copy()
                post["strategy"] = "custom"
                post["custom_steps"] = steps_text(steps)
                times = sorted({d["time"] for s in preview["steps"] for d in s["doses"]})
                post["custom_times"] = ", ".join(times)
                form = BuilderForm(post)
                form.is_valid()
            elif action == "save":
                saved = _save(request, form, admission, plan, data)
                if saved is not None:
                    return saved
                status = 400
    else:
        initial = initial_from_inputs(plan.inputs) if plan else _default_initial(admission)
        if plan:
            initial["lock_version"] = plan.lock_version
        form = BuilderForm(initial=initial)
    context = {
        "form": form,
        "preview": preview,
        "admission": admission,
        "plan": plan,
        "unconverted": selectors.unconverted_substances(admission) if admission else [],
        "inpatient_limits": INPATIENT_LIMITS_TEXT,
        "admissions": selectors.open_admissions_with_plans(request.user)
        if admission is None and plan is None
        else [],
    }
    return render(request, "tapering/builder.html", context, status=status)


def _save(
    request: HttpRequest, form: BuilderForm, admission: Any, plan: Any, data: dict[str, Any]
) -> HttpResponse | None:
    if admission is None:
        form.add_error(None, "Choose a patient above to save a plan; a preview needs none.")
        return None
    try:
        if plan is None:
            plan = services.plan_create_draft(
                admission=admission, by=request.user, data=data, request=request
            )
        else:
            plan = services.plan_update_draft(
                plan=plan,
                by=request.user,
                data=data,
                expected_version=form.cleaned_data.get("lock_version"),
                request=request,
            )
    except ValidationError as err:
        for message in _errors_text(err):
            form.add_error(None, message)
        return None
    except (services.StaleVersion, services.PlanNotEditable) as err:
        form.add_error(None, str(err))
        return None
    messages.success(request, f"Draft version {plan.version} saved. Review it and sign below.")
    return redirect("tapering:plan", plan_id=plan.public_id)


@physician_required
def builder(request: HttpRequest) -> HttpResponse:
    """Physician landing: pick an admission of your units, or preview a regimen freely."""
    admission_id = request.GET.get("admission") or request.POST.get("admission")
    admission = admission_for_user(request.user, admission_id) if admission_id else None
    if admission is not None and request.method == "GET":
        current = selectors.current_plan(selectors.plan_versions(admission))
        if current is not None and current.is_draft:
            return redirect("tapering:edit", plan_id=current.public_id)
    return _builder(request, admission, None)


@physician_required
def edit(request: HttpRequest, plan_id: str) -> HttpResponse:
    plan = selectors.plan_for_user(request.user, plan_id)
    if not plan.is_draft:
        messages.error(request, "This version is signed and cannot be changed; amend it instead.")
        return redirect("tapering:plan", plan_id=plan.public_id)
    return _builder(request, plan.admission, plan)


@clinician_required
def plan_for_admission(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    current = selectors.current_plan(selectors.plan_versions(admission))
    if current is not None:
        return redirect("tapering:plan", plan_id=current.public_id)
    return render(request, "tapering/no_plan.html", {"admission": admission})


def _plan_context(request: HttpRequest, plan: Any) -> dict[str, Any]:
    audit.record(
        actor=request.user,
        action="taper_plan.viewed",
        obj=plan,
        patient=plan.admission.patient,
        request=request,
    )
    return {
        "plan": plan,
        "admission": plan.admission,
        "shown": present(plan.result),
        "signature": getattr(plan, "signature", None) if plan.is_signed else None,
        "second_signature": getattr(plan, "second_signature", None) if plan.is_signed else None,
        "second_signature_reasons": services.second_signature_reasons_for(plan),
        "specialists": selectors.specialists_for(plan.admission)
        if plan.status == PlanStatus.AWAITING_SECOND_SIGNATURE
        else [],
        "versions": selectors.plan_versions(plan.admission),
        "tz": plan.admission.unit.time_zone,
    }


@clinician_required
def plan_detail(
    request: HttpRequest,
    plan_id: str,
    *,
    sign_form: Any = None,
    second_sign_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    plan = selectors.plan_for_user(request.user, plan_id)
    context = _plan_context(request, plan)
    if sign_form is None:
        day, first = services.default_first_dose(plan)
        sign_form = SignForm(
            initial={
                "lock_version": plan.lock_version,
                "start_date": day,
                "first_dose_time": first,
            },
            times=services.dose_times(plan),
        )
    context["sign_form"] = sign_form
    context["second_sign_form"] = second_sign_form or SecondSignForm()
    context["reason_form"] = ReasonForm()
    return render(request, "tapering/plan.html", context, status=status)


@clinician_required
def plan_print(request: HttpRequest, plan_id: str) -> HttpResponse:
    plan = selectors.plan_for_user(request.user, plan_id)
    context = _plan_context(request, plan)
    # The signed version that replaced this one, for the "SUPERSEDED by version N" banner.
    context["superseded_by"] = next(
        (
            v
            for v in context["versions"]
            if v.supersedes_id == plan.pk and v.status != PlanStatus.DRAFT
        ),
        None,
    )
    return render(request, "tapering/plan_print.html", context)


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal: quotes and backslashes escaped, controls dropped."""
    safe = "".join(
        "\\" + ch if ch in '"\\' else (" " if ord(ch) < 32 or ord(ch) == 127 else ch) for ch in text
    )
    return f'"{safe}"'


@clinician_required
def plan_print_page_css(request: HttpRequest, plan_id: str) -> HttpResponse:
    """The printout's page margins: the patient on every printed page and "Page N of M".

    CSS paged media (@page margin boxes, counter(pages)) is the only way a browser numbers
    printed pages; the content of a margin box must be written in CSS, and the page's CSP
    allows no inline style, so this small stylesheet is made per plan. It names the patient,
    so fetching it is audited like any read of the record.
    """
    plan = selectors.plan_for_user(request.user, plan_id)
    patient = plan.admission.patient
    audit.record(
        actor=request.user,
        action="taper_plan.print_header_viewed",
        obj=plan,
        patient=patient,
        request=request,
    )
    identity = f"{patient.full_name} · MRN {patient.mrn} · born {patient.date_of_birth:%d %b %Y}"
    plan_line = f"Taper plan version {plan.version} ({plan.get_status_display()})"
    font = "font: 9pt system-ui, sans-serif;"
    css = (
        "@page {\n"
        f"  @top-left {{ content: {_css_string(identity)}; {font} }}\n"
        f"  @bottom-left {{ content: {_css_string(plan_line)}; {font} }}\n"
        f'  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); {font} }}\n'
        "}\n"
    )
    return HttpResponse(css, content_type="text/css; charset=utf-8")


@require_POST
@physician_required
def sign(request: HttpRequest, plan_id: str) -> HttpResponse:
    plan = selectors.plan_for_user(request.user, plan_id)
    form = SignForm(request.POST, times=services.dose_times(plan))
    if form.is_valid():
        try:
            services.plan_sign(
                start_date=form.cleaned_data["start_date"],
                first_dose_time=form.cleaned_data["first_dose_time"] or None,
                plan=plan,
                by=request.user,
                password=form.cleaned_data["password"],
                otp_code=form.cleaned_data["otp_code"] or None,
                override_reason=form.cleaned_data["override_reason"],
                expected_version=form.cleaned_data["lock_version"],
                request=request,
            )
        except ValidationError as err:
            for field, msgs in django_validation_fields(err).items():
                for m in msgs:
                    form.add_error(field if field in form.fields else None, m)
        except (services.StaleVersion, services.PlanNotEditable) as err:
            form.add_error(None, str(err))
        else:
            plan.refresh_from_db(fields=["status"])
            if plan.status == PlanStatus.AWAITING_SECOND_SIGNATURE:
                messages.success(
                    request,
                    f"Version {plan.version} signed; it needs an addiction specialist's second "
                    "signature before it is in force.",
                )
            else:
                messages.success(request, f"Version {plan.version} signed and active.")
            return redirect("tapering:plan", plan_id=plan.public_id)
    return plan_detail(request, plan_id, sign_form=form, status=400)


@require_POST
@physician_required
def second_sign(request: HttpRequest, plan_id: str) -> HttpResponse:
    plan = selectors.plan_for_user(request.user, plan_id)
    form = SecondSignForm(request.POST)
    if form.is_valid():
        try:
            services.plan_second_sign(
                plan=plan,
                by=request.user,
                password=form.cleaned_data["password"],
                otp_code=form.cleaned_data["otp_code"] or None,
                request=request,
            )
        except ValidationError as err:
            for field, msgs in django_validation_fields(err).items():
                for m in msgs:
                    form.add_error(field if field in form.fields else None, m)
        except services.PlanNotEditable as err:
            form.add_error(None, str(err))
        except PermissionDenied as err:
            form.add_error(None, str(err))
        else:
            messages.success(request, f"Version {plan.version} co-signed and now active.")
            return redirect("tapering:plan", plan_id=plan.public_id)
    return plan_detail(request, plan_id, second_sign_form=form, status=400)


def _reason_action(request: HttpRequest, plan_id: str, service: Any, done: str) -> HttpResponse:
    plan = selectors.plan_for_user(request.user, plan_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason; nothing was changed.")
        return redirect("tapering:plan", plan_id=plan.public_id)
    try:
        result = service(
            plan=plan, by=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except ValidationError as err:
        messages.error(request, " ".join(_errors_text(err)))
        return redirect("tapering:plan", plan_id=plan.public_id)
    except services.PlanNotEditable as err:
        messages.error(request, str(err))
        return redirect("tapering:plan", plan_id=plan.public_id)
    messages.success(request, done.format(version=result.version))
    return redirect("tapering:plan", plan_id=result.public_id)


@require_POST
@physician_required
def amend(request: HttpRequest, plan_id: str) -> HttpResponse:
    return _reason_action(
        request,
        plan_id,
        services.plan_amend,
        "Amendment started as draft version {version}: edit it if needed, then sign it.",
    )


@require_POST
@physician_required
def discontinue(request: HttpRequest, plan_id: str) -> HttpResponse:
    return _reason_action(
        request, plan_id, services.plan_discontinue, "Version {version} discontinued."
    )


def _today_context(request: HttpRequest, admission: Any) -> dict[str, Any]:
    local_now = admission.unit.local_now()
    versions = selectors.plan_versions(admission)
    rows = selectors.doses_for_day(admission, local_now.date())
    audit.record(
        actor=request.user,
        action="doses.saved_offline" if offline.is_offline_precache(request) else "doses.viewed",
        obj=admission,
        patient=admission.patient,
        request=request,
    )
    plan = selectors.current_plan(versions)
    # Day 1 of a plan: the SA Health test-dose instruction (tapering.md 2) is shown here, where
    # the nurse gives the dose, not only in the builder.
    test_dose = None
    if plan is not None and plan.start_date == local_now.date():
        test_dose = (plan.result or {}).get("test_dose")
    return {
        "admission": admission,
        "plan": plan,
        "test_dose": test_dose,
        "rows": rows,
        "overdue": selectors.overdue_doses(admission),
        "sedation": selectors.sedation_advice(admission),
        "local_now": local_now,
        "tz_name": local_now.tzname(),
        "outcome_form": DoseForm(),
    }


@clinician_required
def today(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    return render(request, "tapering/today.html", _today_context(request, admission))


def _dose_received(record: Any, dose: Any, admission: Any) -> HttpResponse:
    """Answer to the offline queue once the dose record has arrived."""
    tz = admission.unit.tz
    received = timezone.localtime(record.recorded_at, tz)
    happened = timezone.localtime(record.occurred_at, tz)
    # The queue shows this after the entry's own label ("Dose 5 mg due 08:00 for ...").
    message = (
        f"{record.get_outcome_display()} at {happened:%H:%M}, received by the server "
        f"{received:%a %d %b %H:%M %Z}."
    )
    return offline.received_reply(
        message=message,
        url=reverse("tapering:today", kwargs={"admission_id": admission.public_id}),
        received_at=f"{received:%a %d %b %H:%M %Z}",
        replayed=getattr(record, "replayed", False),
    )


@require_POST
@clinician_required
def record_dose(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    replay = offline.is_offline_replay(request)
    form = DoseForm(request.POST)
    error = None
    if form.is_valid():
        dose = selectors.scheduled_dose_for_user(request.user, form.cleaned_data["dose"])
        if dose.plan.admission_id != admission.pk:
            raise Http404("No such dose for this patient.")
        occurred = None
        saved_at = form.cleaned_data["recorded_offline_at"]
        if form.cleaned_data["occurred_time"]:
            # A typed time is on the day Save was pressed (an entry queued offline before
            # midnight must not move to the next day), in the unit's zone.
            day = (
                timezone.localtime(saved_at, admission.unit.tz).date()
                if saved_at
                else admission.unit.local_now().date()
            )
            occurred = dt.datetime.combine(
                day, form.cleaned_data["occurred_time"], tzinfo=admission.unit.tz
            )
        try:
            record = dose_services.dose_record(
                scheduled_dose=dose,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                occurred_at=occurred,
                held_reason=form.cleaned_data["held_reason"],
                reason_text=form.cleaned_data["reason_text"],
                sedation_advice_shown=selectors.sedation_advice(admission)["hold"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                recorded_offline_at=saved_at,
                request=request,
            )
        except ValidationError as err:
            if replay:
                return offline.refused_reply({"entry": _errors_text(err)})
            error = " ".join(_errors_text(err))
        except (services.PlanNotEditable, dose_services.IdempotencyMismatch) as err:
            if replay:
                return offline.refused_reply({"entry": [str(err)]}, status=409)
            error = str(err)
        else:
            if replay:
                return _dose_received(record, dose, admission)
            messages.success(request, f"{format_mg(dose.mg)} mg at {dose.time:%H:%M} recorded.")
            return redirect("tapering:today", admission_id=admission.public_id)
    else:
        error = "Choose given, held or refused (and why, if held). " + " ".join(
            f"{k}: {' '.join(v)}" for k, v in form.errors.items() if k != "outcome"
        )
        if replay:
            return offline.refused_reply({"entry": [error]})
    context = _today_context(request, admission)
    context.update(error=error, failed_dose=request.POST.get("dose"))
    return render(request, "tapering/today.html", context, status=400)


@require_POST
@clinician_required
def dose_in_error(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    form = InErrorForm(request.POST)
    target = reverse("tapering:today", kwargs={"admission_id": admission.public_id})
    if not form.is_valid():
        messages.error(request, "Say why the record is wrong; nothing was changed.")
        return redirect(target)
    record = selectors.administration_for_user(request.user, form.cleaned_data["record"])
    if record.scheduled_dose.plan.admission_id != admission.pk:
        raise Http404("No such record for this patient.")
    try:
        dose_services.dose_mark_in_error(
            administration=record,
            by=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except ValidationError as err:
        messages.error(request, " ".join(_errors_text(err)))
    else:
        messages.success(request, "Record marked entered in error. Record the dose again.")
    return redirect(target)
