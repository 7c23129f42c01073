"""The patient's expiring link: create, revoke, and the public copy it opens."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from aftercare import selectors, services
from aftercare.views.stay import _stay_url
from aftercare.views.summaries import _copy_context
from cnt_detox.core.audit import Client
from cnt_detox.core.errors import django_validation_fields
from cnt_detox.core.permissions import clinician_required
from patients.selectors import admission_for_user


@require_POST
@clinician_required
def patient_link_create(request: HttpRequest, admission_id: str) -> HttpResponse:
    admission = admission_for_user(request.user, admission_id)
    try:
        link, token = services.patient_link_create(
            actor=request.user, admission=admission, client=Client.from_request(request)
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
    services.patient_link_revoke(actor=request.user, link=link, client=Client.from_request(request))
    messages.success(request, "Link revoked: it shows nothing any more.")
    return redirect(_stay_url(admission))


def public_copy(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's phone page: no login; a wrong, expired or revoked link shows nothing."""
    link = selectors.link_by_token_hash(services.token_hash(token))
    row = selectors.current_summary(link.admission) if link else None
    if link is None or row is None:
        response = render(request, "aftercare/link_gone.html", status=404)
    else:
        services.patient_link_opened(link=link, client=Client.from_request(request))
        response = render(
            request,
            "aftercare/patient_copy.html",
            {**_copy_context(row), "staff": False, "expires_at": link.expires_at},
        )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
