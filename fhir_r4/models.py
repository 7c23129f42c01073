"""Bulk export jobs and the identifiers of CIWA-B entries received as QuestionnaireResponses.

An export job is claimed by a conditional UPDATE (queued -> running), so a redelivered task
does nothing twice; its files live under ``settings.FHIR_EXPORT_DIR`` and are removed after
``FHIR_EXPORT_RETENTION_HOURS``. A received identifier is kept next to the assessment it
created, so a resent response is recognised and the export shows the sender's identifier.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from cnt_detox.core.models import PublicIdModel


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class ExportJob(PublicIdModel):
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Null: every unit of the requesting admin (Patient/$export); else Group/{unit}/$export.
    unit = models.ForeignKey(
        "patients.Unit", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    unit_ids = models.JSONField(default=list, help_text="Units in scope when requested.")
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.CharField(max_length=2000)
    status = models.CharField(
        max_length=12, choices=ExportStatus.choices, default=ExportStatus.QUEUED, db_index=True
    )
    progress = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    output = models.JSONField(default=list, blank=True)
    patients = models.JSONField(default=list, blank=True, help_text="Public ids exported.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"FHIR export {self.public_id} ({self.status})"


class ReceivedResponse(models.Model):
    """The sender's identifier of a QuestionnaireResponse that created an assessment."""

    assessment = models.OneToOneField(
        "assessments.Assessment", on_delete=models.PROTECT, related_name="fhir_received"
    )
    system = models.CharField(max_length=255)
    value = models.CharField(max_length=255)
    received_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="fhir_received_identifier")
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"
