"""Pages of export jobs: start one (POST), its progress page, the download, "My exports".

The job page refreshes itself with a meta refresh while the job runs, so it works without
JavaScript; the download is streamed from the private export folder after the access check,
and each download is audited as an export.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cnt_detox.core.audit import Client
from cnt_detox.core.permissions import admin_required
from reports import jobs, services
from reports.downloads import job_file_response
from reports.export_selectors import export_job_for_user, export_jobs_for_user
from reports.forms import PeriodForm
from reports.models import ExportJobStatus
from reports.period import ADMISSION_HEADER

# Seconds between refreshes of a running job's page (meta refresh; no JavaScript needed).
JOB_REFRESH_SECONDS = 2
JOBS_PER_PAGE = 25


@require_POST
@admin_required
def export_start(request: HttpRequest) -> HttpResponseBase:
    kind = request.POST.get("kind", "period")
    try:
        job = services.export_job_request(
            actor=request.user, kind=kind, data=request.POST, client=Client.from_request(request)
        )
    except services.ExportRequestInvalid as exc:
        if kind == "census":
            context: dict[str, Any] = {
                "census_form": exc.form,
                "period_form": PeriodForm(user=request.user),
            }
            return render(request, "reports/index.html", context, status=400)
        context = {"period_form": exc.form, "header": ADMISSION_HEADER}
        return render(request, "reports/period.html", context, status=400)
    # 303: the browser follows with a GET, so reloading the job page never starts another.
    response = HttpResponseRedirect(reverse("reports:export-job", args=[job.public_id]))
    response.status_code = 303
    return response


@require_GET
@admin_required
def export_job(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    job = export_job_for_user(request.user, job_id)
    context = {
        "job": job,
        "gone": jobs.file_gone(job),
        "refresh_seconds": JOB_REFRESH_SECONDS if job.active else None,
        # WCAG 2.2.1: a page that reloads itself must let the user stop it (no-JS path).
        "refresh_off": request.GET.get("refresh") == "off",
    }
    return render(request, "reports/export_job.html", context)


@require_GET
@admin_required
def export_download(request: HttpRequest, job_id: uuid.UUID) -> HttpResponseBase:
    job = export_job_for_user(request.user, job_id)
    if job.status != ExportJobStatus.DONE or jobs.file_gone(job):
        context = {"job": job, "gone": jobs.file_gone(job), "refresh_seconds": None}
        return render(
            request, "reports/export_job.html", context, status=410 if context["gone"] else 409
        )
    return job_file_response(request, job)


@require_GET
@admin_required
def export_jobs(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(export_jobs_for_user(request.user), JOBS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "reports/export_jobs.html", {"page": page})
