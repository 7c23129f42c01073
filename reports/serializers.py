"""API shapes of export jobs. Input and output serializers are kept apart.

The input serializer only parses types; every rule (unit access, period length, formats) is in
the export forms used by ``services.export_job_request``, so the page and the API agree.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reports.models import ExportFormat, ExportJob, ExportJobStatus, ExportKind


class ExportJobIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["census", "period"], default="period")
    unit = serializers.CharField(
        required=False, allow_blank=True, help_text="unit id; census: empty for all your units"
    )
    at = serializers.CharField(required=False, allow_blank=True, help_text="census: ISO 8601")
    start = serializers.DateField(required=False, help_text="period: first day")
    end = serializers.DateField(required=False, help_text="period: last day (inclusive)")
    rows = serializers.ChoiceField(choices=["admissions", "assessments"], required=False)
    format = serializers.ChoiceField(choices=ExportFormat.choices, required=False)


class ExportJobOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.ChoiceField(choices=ExportKind.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    unit = serializers.SerializerMethodField()
    params = serializers.JSONField()
    status = serializers.ChoiceField(choices=ExportJobStatus.choices)
    rows_total = serializers.IntegerField(allow_null=True)
    rows_done = serializers.IntegerField()
    progress = serializers.CharField(source="progress_text")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()
    file_name = serializers.CharField()
    file_size = serializers.IntegerField(allow_null=True)
    file_sha256 = serializers.CharField()
    content_sha256 = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    download = serializers.SerializerMethodField()

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_unit(self, job: ExportJob) -> Any:
        return str(job.unit.public_id) if job.unit else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download(self, job: ExportJob) -> str | None:
        if job.status != ExportJobStatus.DONE:
            return None
        request = self.context["request"]
        return request.build_absolute_uri(
            reverse("api-reports-export-download", args=[job.public_id])
        )
