"""Follow-up pages: book one, record its outcome, the follow-up list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from aftercare import selectors, services
from aftercare.forms import (
    FollowUpForm,
    FollowUpOutcomeForm,
)
from aftercare.models import FollowUpStatus
from aftercare.views.stay import _add_errors, _stay_context, _stay_url
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.errors import django_validation_fields
from cnt_detox.core.permissions import clinician_required
from patients.forms import to_aware
from patients.selectors import admission_for_user

PAGE_SIZE = 100


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
                client=Client.from_request(request),
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
            client=Client.from_request(request),
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
        action=AuditAction.FOLLOW_UP_LISTED,
        object_type="aftercare.followupappointment",
        client=Client.from_request(request),
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
