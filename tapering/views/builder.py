"""Taper plan builder pages: new draft, edit a draft, the plan of an admission."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from clinical.taper.plan import to_dict
from clinical.taper.rules import INPATIENT_LIMITS_TEXT
from cnt_detox.core.audit import Client
from cnt_detox.core.errors import django_validation_fields
from cnt_detox.core.permissions import clinician_required, physician_required
from patients.selectors import admission_for_user
from tapering import selectors, services
from tapering.forms import (
    BuilderForm,
    initial_from_inputs,
    steps_text,
)
from tapering.inputs import default_table
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
        action = request.POST.get("action", "preview")
        # An invalid field is missing from cleaned_data: computing (or saving) without it would
        # preview or store a plan that leaves out what the physician typed. Errors first.
        result = None
        if form.is_valid():
            data = form.to_data()
            try:
                result = services.compute(data)
            except ValidationError as err:
                form.add_api_errors(django_validation_fields(err))
        if result is None:
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
                admission=admission,
                actor=request.user,
                data=data,
                client=Client.from_request(request),
            )
        else:
            plan = services.plan_update_draft(
                plan=plan,
                actor=request.user,
                data=data,
                expected_version=form.cleaned_data.get("lock_version"),
                client=Client.from_request(request),
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
