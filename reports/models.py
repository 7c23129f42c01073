"""Unit board, census and period reports; export jobs that build a long export in the background.

An export job is claimed by a conditional UPDATE (queued -> running), so a redelivered task does
nothing twice; its file lives under ``settings.REPORT_EXPORT_DIR`` and is removed
``REPORT_EXPORT_RETENTION_HOURS`` after it was built. The row stays as the record of what was
exported, for whom and with which digest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from cnt_detox.core.models import PublicIdModel


class ExportKind(models.TextChoices):
    CENSUS = "census", "Census"
    PERIOD_ADMISSIONS = "period_admissions", "Period report, one row per stay"
    PERIOD_ASSESSMENTS = "period_assessments", "Period report, one row per assessment"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class ExportJobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class ExportJob(PublicIdModel):
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Null: every unit of the requesting admin (census of "all my units").
    unit = models.ForeignKey(
        "patients.Unit", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    unit_ids = models.JSONField(default=list, help_text="Units in scope when requested.")
    kind = models.CharField(max_length=24, choices=ExportKind.choices)
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    params = models.JSONField(default=dict, help_text="Period start/end or census time.")
    status = models.CharField(
        max_length=12,
        choices=ExportJobStatus.choices,
        default=ExportJobStatus.QUEUED,
        db_index=True,
    )
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # When the task was last sent to the broker: the sweep re-sends a job queued too long.
    enqueued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="What went wrong, in plain words.")
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True, help_text="Of the whole file.")
    # The digest written inside the file (CSV last line, XLSX "SHA-256" sheet), as audited
    # for the streaming exports; verify_export checks it.
    content_sha256 = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "-created_at"])]

    def __str__(self) -> str:
        return f"Report export {self.public_id} ({self.status})"

    @property
    def time_zone(self) -> str:
        """Times on the job's pages are in its unit's zone; UTC for a census of all units."""
        return self.unit.time_zone if self.unit else "UTC"

    @property
    def active(self) -> bool:
        return self.status in (ExportJobStatus.QUEUED, ExportJobStatus.RUNNING)

    @property
    def percent(self) -> int | None:
        if not self.rows_total:
            return None
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def progress_text(self) -> str:
        """ "12,000 of 100,000 rows (12%)"; without a total yet, "12,000 rows so far"."""
        if self.rows_total is None:
            return f"{self.rows_done:,} rows so far"
        return f"{self.rows_done:,} of {self.rows_total:,} rows ({self.percent or 0}%)"
