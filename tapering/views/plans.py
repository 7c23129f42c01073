"""Taper plan reading pages: detail, printout and its page CSS."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.permissions import clinician_required
from tapering import selectors, services
from tapering.forms import (
    ReasonForm,
    SecondSignForm,
    SignForm,
)
from tapering.models import PlanStatus
from tapering.presenters import present


def _plan_context(request: HttpRequest, plan: Any) -> dict[str, Any]:
    audit.record(
        actor=request.user,
        action=AuditAction.TAPER_PLAN_VIEWED,
        obj=plan,
        patient=plan.admission.patient,
        client=Client.from_request(request),
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
        action=AuditAction.TAPER_PLAN_PRINT_HEADER_VIEWED,
        obj=plan,
        patient=patient,
        client=Client.from_request(request),
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
