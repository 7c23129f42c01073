"""Admin-only report API: census and period exports as CSV, XLSX or JSON, streamed in the
request; or as an export job (POST, then poll its status and download the file when done)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import APIException
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cnt_detox.core.audit import Client
from cnt_detox.core.permissions import IsAdminRole
from reports import jobs, services, tables
from reports.downloads import job_file_response
from reports.export_selectors import export_job_for_user
from reports.forms import CensusForm, PeriodForm
from reports.models import ExportJobStatus
from reports.period import Period, period_summary
from reports.serializers import ExportJobIn, ExportJobOut


class IgnoreFormatParam(DefaultContentNegotiation):
    """``format`` here names the file format, not a DRF renderer; errors are always JSON."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


def _valid(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise ValidationError({k: list(v) for k, v in form.errors.items()})
    return form.cleaned_data


FORMAT = OpenApiParameter("format", str, enum=["csv", "xlsx", "json"], description="default csv")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# One 200 per file format, so clients (and the schema fuzzer) know each content type.
EXPORT_RESPONSES = {
    (200, "text/csv"): OpenApiTypes.STR,
    (200, XLSX): OpenApiTypes.BINARY,
    (200, "application/json"): OpenApiTypes.OBJECT,
}
UNIT = OpenApiParameter("unit", OpenApiTypes.UUID, description="unit id; empty for all your units")


class CensusView(APIView):
    """Current census, or the census at a past time (``at``, ISO 8601; unit time if no offset).

    CSV and XLSX carry the 42 CFR Part 2 notice and a SHA-256 digest (see the README).
    """

    permission_classes = [IsAdminRole]
    content_negotiation_class = IgnoreFormatParam

    @extend_schema(
        parameters=[UNIT, OpenApiParameter("at", str), FORMAT], responses=EXPORT_RESPONSES
    )
    def get(self, request: Request) -> HttpResponseBase:
        form = CensusForm(request.query_params, user=request.user, formats=("csv", "xlsx", "json"))
        data = _valid(form)
        unit = data["unit"]
        now = timezone.now()
        table = tables.census_table(
            unit=unit,
            units=[unit] if unit else form.units,
            at=data["at"],
            now=now,
            actor=request.user,
        )
        extra = {"at": (data["at"] or now).isoformat(), "unit": table.params["unit"]}
        return tables.export_response(request, table, data["format"], extra)


class PeriodView(APIView):
    """Period report of one unit: ``rows=admissions`` (default) or ``rows=assessments``.

    JSON gives the summary figures and one row per stay; assessment rows come as CSV or XLSX.
    """

    permission_classes = [IsAdminRole]
    content_negotiation_class = IgnoreFormatParam

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.UUID, required=True),
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True),
            OpenApiParameter("rows", str, enum=["admissions", "assessments"]),
            FORMAT,
        ],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request: Request) -> HttpResponseBase:
        form = PeriodForm(request.query_params, user=request.user, formats=("csv", "xlsx", "json"))
        data = _valid(form)
        report = Period(data["unit"], data["start"], data["end"])
        now = timezone.now()
        extra: dict[str, Any] = {}
        s = None
        if data["format"] == "json":
            s = period_summary(report, now=now)
            extra = {
                **report.params(),
                "summary": {
                    "admissions": s.admissions,
                    "discharges": s.discharges,
                    "transfers_in": s.transfers_in,
                    "transfers_out": s.transfers_out,
                    "length_of_stay_mean_days": s.los_mean_days,
                    "length_of_stay_median_days": s.los_median_days,
                    "assessments": s.assessments,
                    "assessments_with_due_time": s.due_checked,
                    "assessments_on_time": s.on_time,
                    "escalations": s.escalations,
                    "escalations_by_kind": s.escalations_by_kind,
                    "escalations_acknowledged": s.escalations_acknowledged,
                    "escalation_ack_median_minutes": s.ack_median_minutes,
                    "notifications": s.notifications,
                    "admission_to_signed_plan_median_hours": s.plan_median_hours,
                    "follow_ups": s.follow_ups,
                    "readmissions_within_30_days": s.readmissions_30d,
                },
            }
        table = tables.period_table(
            period=report, rows=data["rows"], now=now, actor=request.user, summary=s
        )
        return tables.export_response(request, table, data["format"], extra)


class ExportJobsView(APIView):
    """Start an export job: the same parameters as the GET exports (``kind`` census or period),
    CSV or XLSX. Answers 202 with the job's status URL in ``Location``."""

    permission_classes = [IsAdminRole]
    content_negotiation_class = IgnoreFormatParam

    @extend_schema(request=ExportJobIn, responses={202: ExportJobOut})
    def post(self, request: Request) -> Response:
        parsed = ExportJobIn(data=request.data)
        parsed.is_valid(raise_exception=True)
        # The forms read the raw values (the page posts the same fields), so the API's
        # answers are the page's.
        data = {k: v for k, v in request.data.items() if k != "kind"}
        job = services.export_job_request(
            actor=request.user,
            kind=parsed.validated_data["kind"],
            data=data,
            client=Client.from_request(request),
        )
        response = Response(ExportJobOut(job, context={"request": request}).data, status=202)
        response["Location"] = request.build_absolute_uri(
            reverse("api-reports-export-job", args=[job.public_id])
        )
        return response


class ExportJobView(APIView):
    """An export job's status and progress; ``download`` is set when the file is ready."""

    permission_classes = [IsAdminRole]

    @extend_schema(responses={200: ExportJobOut})
    def get(self, request: Request, job_id: uuid.UUID) -> Response:
        job = export_job_for_user(request.user, job_id)
        return Response(ExportJobOut(job, context={"request": request}).data)


class ExportJobDownloadView(APIView):
    """The finished file (each download is audited); 409 while running, 410 once expired."""

    permission_classes = [IsAdminRole]
    content_negotiation_class = IgnoreFormatParam

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, XLSX): OpenApiTypes.BINARY,
            409: OpenApiResponse(description="not finished"),
            410: OpenApiResponse(description="file deleted after its retention time"),
        }
    )
    def get(self, request: Request, job_id: uuid.UUID) -> HttpResponseBase:
        job = export_job_for_user(request.user, job_id)
        if jobs.file_gone(job):
            raise Gone()
        if job.status != ExportJobStatus.DONE:
            raise NotReady()
        return job_file_response(request, job)


class Gone(APIException):
    status_code = 410
    default_detail = "The file was deleted after its retention time; start a new export."
    default_code = "gone"


class NotReady(APIException):
    status_code = 409
    default_detail = "The export is not finished; poll its status URL."
    default_code = "not_ready"
