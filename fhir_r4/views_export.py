"""Bulk Data export endpoints (Bulk Data Access IG, fhir.md "Bulk Data export"), admins only.

Kick-off answers 202 with the status URL in Content-Location; the status URL answers 202 with
X-Progress while running, 200 with the manifest when done, and DELETE cancels. Files are
downloaded with the same credentials (requiresAccessToken) and every download is audited.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.request import Request
from rest_framework.response import Response

from cnt_detox.core.audit import Client
from cnt_detox.core.permissions import IsAdminRole
from fhir_r4 import selectors, services
from fhir_r4.bundle import STAY_TYPES
from fhir_r4.http import FhirView, fail
from fhir_r4.models import ExportJob, ExportStatus
from fhir_r4.resources.common import FHIR_NDJSON, instant
from patients.selectors import unit_for_user, units_for_user

KICKOFF_PARAMS = {"_type", "_since", "_outputFormat"}
OUTPUT_FORMATS = {FHIR_NDJSON, "application/ndjson", "ndjson"}
FILE_NAME = re.compile(r"^[A-Za-z]+\.ndjson$")


def _kickoff_params(request: Request) -> tuple[list[str], Any]:
    unknown = sorted(set(request.query_params) - KICKOFF_PARAMS)
    if unknown:
        fail(400, f"Parameter(s) not supported: {', '.join(unknown)}.", "not-supported")
    if "respond-async" not in request.headers.get("Prefer", ""):
        fail(400, "Send the header Prefer: respond-async (Bulk Data kick-off).", "required")
    fmt = request.query_params.get("_outputFormat")
    if fmt and fmt not in OUTPUT_FORMATS:
        fail(400, f"_outputFormat must be {FHIR_NDJSON}.", "not-supported", ["_outputFormat"])
    types: list[str] = []
    for raw in request.query_params.getlist("_type"):
        types.extend(t.strip() for t in raw.split(",") if t.strip())
    bad = [t for t in types if t not in STAY_TYPES]
    if bad:
        fail(
            400,
            f"_type {', '.join(bad)} not supported; use any of: {', '.join(STAY_TYPES)}.",
            "not-supported",
            ["_type"],
        )
    since = None
    raw_since = request.query_params.get("_since")
    if raw_since:
        since = parse_datetime(raw_since.replace(" ", "+"))
        if since is None or since.tzinfo is None:
            fail(400, "_since must be a FHIR instant with a time zone.", "invalid", ["_since"])
    return sorted(set(types), key=STAY_TYPES.index), since


def _kickoff(request: Request, unit: Any) -> Response:
    types, since = _kickoff_params(request)
    unit_ids = (
        [unit.pk] if unit else list(units_for_user(request.user).values_list("pk", flat=True))
    )
    job = services.export_request(
        actor=request.user,
        unit_ids=unit_ids,
        unit=unit,
        types=types,
        since=since,
        request_url=request.build_absolute_uri(),
        client=Client.from_request(request),
    )
    response = Response(status=202)
    response["Content-Location"] = request.build_absolute_uri(
        reverse("fhir:export-status", args=[job.public_id])
    )
    return response


class PatientExportView(FhirView):
    permission_classes = [IsAdminRole]

    def get(self, request: Request) -> Response:
        return _kickoff(request, None)


class GroupExportView(FhirView):
    """One unit: Group/<unit id>/$export (a unit that is not yours is a 404)."""

    permission_classes = [IsAdminRole]

    def get(self, request: Request, unit_id: str) -> Response:
        return _kickoff(request, unit_for_user(request.user, selectors.as_uuid(unit_id)))


def _live_job(request: Request, job_id: str) -> ExportJob:
    job = selectors.export_job_for_user(request.user, job_id)
    if job.status == ExportStatus.COMPLETED and job.expires_at and job.expires_at <= timezone.now():
        services.exports_purge()
        job.status = ExportStatus.EXPIRED
    if job.status in (ExportStatus.CANCELLED, ExportStatus.EXPIRED):
        fail(404, f"This export was {job.status}.", "not-found")
    return job


class ExportStatusView(FhirView):
    permission_classes = [IsAdminRole]

    def get(self, request: Request, job_id: str) -> Response:
        job = _live_job(request, job_id)
        if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
            response = Response(status=202)
            response["X-Progress"] = job.progress or job.status
            response["Retry-After"] = "5"
            return response
        if job.status == ExportStatus.FAILED:
            fail(500, job.error or "The export failed.", "exception")
        manifest = {
            "transactionTime": instant(job.transaction_time),
            "request": job.request_url,
            "requiresAccessToken": True,
            "output": [
                {
                    "type": item["type"],
                    "url": request.build_absolute_uri(
                        reverse("fhir:export-file", args=[job.public_id, item["file"]])
                    ),
                    "count": item["count"],
                }
                for item in job.output
            ],
            "error": [],
        }
        response = Response(manifest, content_type="application/json")
        response["Expires"] = job.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
        return response

    def delete(self, request: Request, job_id: str) -> Response:
        job = _live_job(request, job_id)
        services.export_cancel(actor=request.user, job=job, client=Client.from_request(request))
        return Response(status=202)


class ExportFileView(FhirView):
    permission_classes = [IsAdminRole]

    def get(self, request: Request, job_id: str, name: str) -> Any:
        job = _live_job(request, job_id)
        listed = {item["file"] for item in job.output}
        if job.status != ExportStatus.COMPLETED or not FILE_NAME.match(name) or name not in listed:
            fail(404, "No such export file.", "not-found")
        path = services.export_dir(job) / name
        if not path.is_file():
            fail(404, "The export file is gone (retention time passed).", "not-found")
        services.export_download_audit(
            actor=request.user, job=job, filename=name, client=Client.from_request(request)
        )
        return FileResponse(path.open("rb"), content_type=FHIR_NDJSON, filename=name)
