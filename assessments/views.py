"""Bedside pages: enter a CIWA-B, see the result, mark an entry in error, the timeline.

Thin: resolve through selectors, call one service, render. Plain form posts throughout;
static/js/ciwa.js only adds the live total.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from assessments import selectors, services, timeline_svg
from assessments.display import local_datetime, next_due_text
from assessments.forms import AssessmentForm, EnteredInErrorForm, band_bounds
from clinical.ciwa_b import BAND_LABELS, UNABLE_REASON_LABELS, Band, UnableReason
from cnt_detox.core import offline, registry
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.permissions import clinician_required


def _received(result: services.CreateResult) -> HttpResponse:
    """Answer to the offline queue: what the nurse sees once the entry has arrived."""
    a = result.assessment
    tz = a.admission.unit.tz
    score = (
        f"total {a.total} ({a.band_name.lower()})" if a.total is not None else "unable to assess"
    )
    parts = [f"CIWA-B received by the server {local_datetime(a.recorded_at, tz)}: {score}."]
    if a.notify_physician or any(f["level"] == "critical" for f in a.flags):
        parts.append("Physician notified.")
    if a.is_late_entry:
        parts.append(f"Marked as a late entry (assessed {local_datetime(a.assessed_at, tz)}).")
    return offline.received_reply(
        message=" ".join(parts),
        url=reverse("assessments:detail", kwargs={"public_id": a.public_id}),
        received_at=local_datetime(a.recorded_at, tz),
        replayed=not result.created,
    )


def _add_service_errors(form: AssessmentForm, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        field = name if name in form.fields else None
        for error in errors:
            form.add_error(field, error)


def _form_errors(form: AssessmentForm) -> dict[str, list[str]]:
    named: dict[str, list[str]] = {}
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        named[name] = [f"{label}: {e}" if label else e for e in errors]
    return named


@clinician_required
@require_http_methods(["GET", "POST"])
def new_assessment(request: HttpRequest, admission_id: uuid.UUID) -> HttpResponse:
    # A POST saves: the save's reads come with the admission (one SELECT).
    if request.method == "POST":
        admission = selectors.admission_for_save(request.user, admission_id)
    else:
        admission = selectors.admission_for_assessment(request.user, admission_id)
    tz = admission.unit.tz
    status = 200
    replay = request.method == "POST" and offline.is_offline_replay(request)
    if request.method == "POST":
        form = AssessmentForm(request.POST)
        # Times typed on the page are the unit's local time.
        with timezone.override(tz):
            valid = form.is_valid()
        if not valid and replay:
            return offline.refused_reply(_form_errors(form))
        if valid:
            try:
                result = services.assessment_create(
                    admission=admission,
                    actor=request.user,
                    entry=form.to_entry(),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    client=Client.from_request(request),
                )
            except services.IdempotencyMismatch as exc:
                if replay:
                    return offline.refused_reply({"idempotency_key": [str(exc)]}, status=422)
                form.add_error(None, str(exc))
                status = 422
            except ValidationError as exc:
                if replay:
                    return offline.refused_reply(exc.message_dict)
                _add_service_errors(form, exc)
                status = 400
            else:
                if replay:
                    return _received(result)
                return redirect("assessments:detail", public_id=result.assessment.public_id)
        else:
            status = 400
    else:
        # The form shows the patient's name and MRN: opening it is a read of the record.
        action = (
            AuditAction.ASSESSMENT_FORM_SAVED_OFFLINE
            if offline.is_offline_precache(request)
            else AuditAction.ASSESSMENT_FORM_VIEWED
        )
        services.assessment_viewed(
            actor=request.user,
            admission=admission,
            action=action,
            client=Client.from_request(request),
        )
        unable = request.GET.get("unable") == "1"
        form = AssessmentForm(
            initial={"idempotency_key": uuid.uuid4(), "mode": "unable" if unable else "scored"}
        )
    context = {
        "admission": admission,
        "form": form,
        "bands": band_bounds(),
        "vital_fields": [
            form[n]
            for n in (
                "heart_rate",
                "systolic_bp",
                "diastolic_bp",
                "temperature_c",
                "respiratory_rate",
                "spo2",
            )
        ],
        "observation_fields": [
            form[n] for n in ("seizure", "hallucinations", "confusion", "suicidal_thoughts")
        ],
        "schedule": selectors.schedule_for_admission(admission),
        "now": timezone.now(),
    }
    if context["schedule"]:
        context["due_text"] = next_due_text(context["schedule"].next_due_at, tz, context["now"])
    return render(request, "assessments/new.html", context, status=status)


def _result_context(assessment: Any) -> dict[str, Any]:
    admission = assessment.admission
    tz = admission.unit.tz
    now = timezone.now()
    band = Band(assessment.band) if assessment.band else None
    return {
        "assessment": assessment,
        "admission": admission,
        "band_label": BAND_LABELS[band] if band else None,
        "unable_label": (
            UNABLE_REASON_LABELS[UnableReason(assessment.unable_reason)]
            if assessment.unable_reason
            else ""
        ),
        "critical": [f for f in assessment.flags if f["level"] == "critical"],
        "due_text": next_due_text(assessment.next_due_at, tz, now),
        "assessed_text": local_datetime(assessment.assessed_at, tz),
        "recorded_text": local_datetime(assessment.recorded_at, tz),
        "offline_text": local_datetime(assessment.recorded_offline_at, tz),
    }


@clinician_required
def detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    assessment = selectors.assessment_for_user(request.user, public_id)
    services.assessment_viewed(
        actor=request.user,
        admission=assessment.admission,
        action=AuditAction.ASSESSMENT_VIEWED,
        obj=assessment,
        client=Client.from_request(request),
    )
    context = _result_context(assessment)
    context["error_form"] = EnteredInErrorForm()
    return render(request, "assessments/detail.html", context)


@clinician_required
@require_POST
def entered_in_error(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    assessment = selectors.assessment_for_user(request.user, public_id)
    form = EnteredInErrorForm(request.POST)
    if form.is_valid():
        try:
            services.assessment_mark_entered_in_error(
                assessment=assessment,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                client=Client.from_request(request),
            )
        except ValidationError as exc:
            for error in exc.messages:
                form.add_error(None, error)
        else:
            messages.success(
                request, "Marked entered in error. It stays on record, struck through."
            )
            return redirect("assessments:timeline", admission_id=assessment.admission.public_id)
    context = _result_context(assessment)
    context["error_form"] = form
    return render(request, "assessments/detail.html", context, status=400)


# How far back the timeline looks, by the ``days`` query parameter. A whole stay can hold
# hundreds of assessments; drawing and listing them all made the page slow for everyone
# sharing the server, so the default is the last three days.
TIMELINE_WINDOWS: dict[str, tuple[int | None, str]] = {
    "1": (1, "Last 24 hours"),
    "3": (3, "Last 3 days"),
    "7": (7, "Last 7 days"),
    "all": (None, "Whole stay"),
}
DEFAULT_TIMELINE_WINDOW = "3"


@clinician_required
def timeline(request: HttpRequest, admission_id: uuid.UUID) -> HttpResponse:
    admission = selectors.admission_for_assessment(request.user, admission_id)
    tz = admission.unit.tz
    now = timezone.now()
    window = request.GET.get("days", DEFAULT_TIMELINE_WINDOW)
    if window not in TIMELINE_WINDOWS:
        window = DEFAULT_TIMELINE_WINDOW
    days = TIMELINE_WINDOWS[window][0]
    rows = selectors.assessments_for_admission(admission).defer(
        "items", "notes", "request_fingerprint", "next_due_reason"
    )
    if days is not None:
        rows = rows.filter(assessed_at__gte=now - dt.timedelta(days=days))
    assessments = list(rows)
    for a in assessments:
        a.admission = admission  # loaded once; the rows need its unit's zone
        a.assessed_text = local_datetime(a.assessed_at, tz)
        a.band_label = BAND_LABELS[Band(a.band)] if a.band else ""
    schedule = selectors.schedule_for_admission(admission)
    # Events other features draw on the chart (as-needed doses: the medication app).
    since = now - dt.timedelta(days=days) if days is not None else None
    markers = registry.timeline_markers(admission, since, now)
    services.assessment_viewed(
        actor=request.user,
        admission=admission,
        action=AuditAction.ASSESSMENT_TIMELINE_VIEWED,
        client=Client.from_request(request),
    )
    context = {
        "admission": admission,
        "assessments": list(reversed(assessments)),
        # Escaped by the builder; see timeline_svg.
        "ciwa_svg": mark_safe(timeline_svg.ciwa_chart(assessments, tz, markers)),  # noqa: S308
        "markers": markers,
        "vitals_svg": mark_safe(timeline_svg.vitals_chart(assessments, tz)),  # noqa: S308
        "due_text": next_due_text(schedule.next_due_at, tz, now) if schedule else None,
        "schedule": schedule,
        "window": window,
        "windows": [(key, label) for key, (_, label) in TIMELINE_WINDOWS.items()],
        "total_count": selectors.assessments_for_admission(admission).count(),
    }
    return render(request, "assessments/timeline.html", context)
