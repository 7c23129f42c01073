"""Today's doses of an admission: list, record a dose, mark one in error."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinical.taper.rounding import format_mg
from cnt_detox.core import audit, offline
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.permissions import clinician_required
from patients.selectors import admission_for_user
from tapering import dose_services, selectors, services
from tapering.forms import (
    DoseForm,
    InErrorForm,
)
from tapering.views.builder import _errors_text


def _today_context(request: HttpRequest, admission: Any) -> dict[str, Any]:
    local_now = admission.unit.local_now()
    versions = selectors.plan_versions(admission)
    rows = selectors.doses_for_day(admission, local_now.date())
    audit.record(
        actor=request.user,
        action=AuditAction.DOSES_SAVED_OFFLINE
        if offline.is_offline_precache(request)
        else AuditAction.DOSES_VIEWED,
        obj=admission,
        patient=admission.patient,
        client=Client.from_request(request),
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
        # Only for an empty day, so a day with doses costs no extra query.
        "next_dose": selectors.next_dose(plan) if plan is not None and not rows else None,
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
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                occurred_at=occurred,
                held_reason=form.cleaned_data["held_reason"],
                reason_text=form.cleaned_data["reason_text"],
                sedation_advice_shown=selectors.sedation_advice(admission)["hold"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                recorded_offline_at=saved_at,
                client=Client.from_request(request),
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
            actor=request.user,
            reason=form.cleaned_data["reason"],
            client=Client.from_request(request),
        )
    except ValidationError as err:
        messages.error(request, " ".join(_errors_text(err)))
    else:
        messages.success(request, "Record marked entered in error. Record the dose again.")
    return redirect(target)
