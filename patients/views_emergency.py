"""Emergency access pages: request (clinicians) and review (admins)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cnt_detox.core.audit import Client
from cnt_detox.core.forms import ErrorFocusMixin
from cnt_detox.core.permissions import admin_required, clinician_required
from patients.emergency import (
    MIN_REASON_LENGTH,
    active_grants_for_user,
    emergency_access_grant,
    emergency_access_review,
    grants_for_admin,
    pending_reviews,
)


class EmergencyAccessForm(ErrorFocusMixin, forms.Form):
    mrn = forms.CharField(max_length=32, label="Patient MRN")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        min_length=MIN_REASON_LENGTH,
        label="Why do you need this record now?",
        help_text="Your reason, your name and the time are recorded and reviewed by an admin.",
    )


def admission_link(admission: Any) -> str:
    """The admission's page when its app defines one (get_absolute_url), else ''."""
    getter = getattr(admission, "get_absolute_url", None)
    try:
        return getter() if getter else ""
    except Exception:  # a not-yet-wired page must not break this page
        return ""


@never_cache
@clinician_required
@require_http_methods(["GET", "POST"])
def request_access(request: HttpRequest) -> HttpResponse:
    form = EmergencyAccessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = emergency_access_grant(
                actor=request.user,
                mrn=form.cleaned_data["mrn"],
                reason=form.cleaned_data["reason"],
                client=Client.from_request(request),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.warning(
                request,
                f"Emergency access to {grant.admission.patient.full_name} granted until "
                f"{grant.expires_at:%H:%M} UTC. It is recorded and will be reviewed.",
            )
            return redirect("patients:emergency")
    grants = [
        {"grant": g, "link": admission_link(g.admission)}
        for g in active_grants_for_user(request.user)
    ]
    return render(
        request,
        "core/emergency_request.html",
        {"form": form, "grants": grants},
        status=400 if form.errors else 200,
    )


@never_cache
@admin_required
def review_list(request: HttpRequest) -> HttpResponse:
    pending = list(pending_reviews(request.user).order_by("granted_at")[:200])
    reviewed = list(
        grants_for_admin(request.user)
        .filter(reviewed_at__isnull=False)
        .order_by("-reviewed_at")[:50]
    )
    return render(request, "core/emergency_review.html", {"pending": pending, "reviewed": reviewed})


@never_cache
@admin_required
@require_POST
def mark_reviewed(request: HttpRequest, public_id: Any) -> HttpResponse:
    grant = grants_for_admin(request.user).filter(public_id=public_id).first()
    if grant is None:
        raise Http404("No such emergency access.")
    emergency_access_review(
        actor=request.user,
        grant=grant,
        note=request.POST.get("note", "")[:2000],
        client=Client.from_request(request),
    )
    messages.success(request, "Marked as reviewed.")
    return redirect("patients:emergency-review")
