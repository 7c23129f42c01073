"""Taper plan actions: sign, second signature, amend and discontinue."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cnt_detox.core.audit import Client
from cnt_detox.core.errors import django_validation_fields
from cnt_detox.core.permissions import physician_required
from tapering import selectors, services
from tapering.forms import (
    ReasonForm,
    SecondSignForm,
    SignForm,
)
from tapering.models import PlanStatus
from tapering.views.builder import _errors_text
from tapering.views.plans import plan_detail


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
                actor=request.user,
                password=form.cleaned_data["password"],
                otp_code=form.cleaned_data["otp_code"] or None,
                override_reason=form.cleaned_data["override_reason"],
                expected_version=form.cleaned_data["lock_version"],
                client=Client.from_request(request),
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
                actor=request.user,
                password=form.cleaned_data["password"],
                otp_code=form.cleaned_data["otp_code"] or None,
                client=Client.from_request(request),
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
            plan=plan,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            client=Client.from_request(request),
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
