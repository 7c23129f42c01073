"""CIWA-B assessments, the flags they raised, the reassessment schedule and escalations.

What was computed is stored with how: raw item scores, total, band, instrument code and
version, and the rules version of the flags, so a record can always be reproduced
(ciwa-b.md; domain/README.md). Assessments are never deleted: a wrong one is marked
"entered in error" with a reason.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clinical.ciwa_b import BAND_LABELS, Band
from clinical.reassessment import IntervalRules
from clinical.risk import DEFAULT_RISE_THRESHOLD
from cnt_detox.core.models import PublicIdModel


class AssessmentStatus(models.TextChoices):
    VALID = "valid", "Valid"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class Assessment(PublicIdModel):
    admission = models.ForeignKey(
        "patients.Admission", on_delete=models.PROTECT, related_name="assessments"
    )
    assessed_at = models.DateTimeField(db_index=True)
    # When the server stored it; entries made well after assessed_at are marked late.
    recorded_at = models.DateTimeField(default=timezone.now)
    # When Save was pressed on a device that queued the entry without a connection (device
    # clock, checked within limits); null for entries that reached the server at once.
    recorded_offline_at = models.DateTimeField(null=True, blank=True)
    is_late_entry = models.BooleanField(default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Generated when the form opens; a retry with the same key returns the same assessment.
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)

    instrument_code = models.CharField(max_length=16, default="CIWA-B")
    instrument_version = models.CharField(max_length=16, default="1989")
    items = models.JSONField(null=True, blank=True, help_text="20 item scores, item 1 first.")
    total = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(80)]
    )
    band = models.CharField(max_length=12, blank=True)
    unable_reason = models.CharField(max_length=32, blank=True)

    heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    systolic_bp = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_bp = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(null=True, blank=True)
    sedation_level = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(3)]
    )
    seizure = models.BooleanField(default=False)
    hallucinations = models.BooleanField(default=False)
    confusion = models.BooleanField(default=False)
    suicidal_thoughts = models.BooleanField(default=False)
    notes = models.TextField(blank=True)

    # Outcome stored as shown to the nurse at the time.
    flags = models.JSONField(default=list, blank=True)
    highest_flag_level = models.CharField(max_length=10, blank=True)
    rules_version = models.CharField(max_length=16, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    next_due_reason = models.CharField(max_length=200, blank=True)
    notify_physician = models.BooleanField(default=False)

    status = models.CharField(
        max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.VALID
    )
    error_reason = models.TextField(blank=True)
    error_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    error_marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        indexes = [models.Index(fields=["admission", "status", "assessed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(total__lte=80), name="ciwa_total_0_80"
            ),
            models.CheckConstraint(
                condition=(Q(total__isnull=False) & Q(unable_reason=""))
                | (Q(total__isnull=True) & ~Q(unable_reason="")),
                name="assessment_scored_xor_unable",
            ),
            models.CheckConstraint(
                condition=Q(status="valid") | ~Q(error_reason=""),
                name="entered_in_error_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"CIWA-B {self.total if self.total is not None else 'n/a'} at {self.assessed_at}"

    @property
    def is_valid(self) -> bool:
        return self.status == AssessmentStatus.VALID

    @property
    def band_name(self) -> str:
        """The band in words ("Very severe"), or "" when unable to assess."""
        return BAND_LABELS[Band(self.band)] if self.band else ""


class AssessmentFlag(models.Model):
    """A flag as raised by one assessment (or at intake when ``assessment`` is null)."""

    admission = models.ForeignKey(
        "patients.Admission", on_delete=models.PROTECT, related_name="risk_flags"
    )
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="flag_rows", null=True, blank=True
    )
    code = models.CharField(max_length=48)
    level = models.CharField(max_length=10)
    reason = models.CharField(max_length=300)
    source = models.CharField(max_length=300)
    raised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["admission", "-raised_at"]
        indexes = [models.Index(fields=["admission", "level"])]

    def __str__(self) -> str:
        return f"{self.level}: {self.code}"


class ReassessmentSchedule(models.Model):
    """When the next CIWA-B is due, per open admission. The reminder sweep reads this table."""

    admission = models.OneToOneField(
        "patients.Admission", on_delete=models.PROTECT, related_name="schedule"
    )
    next_due_at = models.DateTimeField(db_index=True)
    interval_minutes = models.PositiveIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    notify_physician = models.BooleanField(default=False)
    based_on = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    active = models.BooleanField(default=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["active", "next_due_at"])]

    def __str__(self) -> str:
        return f"next CIWA-B due {self.next_due_at:%Y-%m-%d %H:%M} UTC"


class UnitIntervalRules(models.Model):
    """Per-unit reassessment intervals and escalation thresholds, editable by admins.

    Defaults are the facility defaults of ciwa-b.md ("Reassessment interval") and risk.md
    ("Escalation rules"). They are NOT published CIWA-B thresholds: the facility's clinical
    lead must confirm them.
    """

    unit = models.OneToOneField(
        "patients.Unit", on_delete=models.PROTECT, related_name="interval_rules"
    )
    # Defaults from clinical.reassessment.IntervalRules and clinical.risk (defined there once).
    none_mild_minutes = models.PositiveIntegerField(
        default=IntervalRules.none_mild, help_text="Band none or mild. Not a published threshold."
    )
    moderate_minutes = models.PositiveIntegerField(
        default=IntervalRules.moderate, help_text="Band moderate. Not a published threshold."
    )
    severe_minutes = models.PositiveIntegerField(
        default=IntervalRules.severe,
        help_text="Band severe or very severe. Not a published threshold.",
    )
    unable_or_critical_minutes = models.PositiveIntegerField(
        default=IntervalRules.unable_or_critical,
        help_text="Unable to assess or any critical flag. Not a published threshold.",
    )
    rise_threshold = models.PositiveSmallIntegerField(
        default=DEFAULT_RISE_THRESHOLD,
        help_text="CIWA-B rise since the previous assessment that notifies the physician "
        "(design default, not a published threshold).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "unit interval rules"

    def __str__(self) -> str:
        return f"Interval rules for {self.unit}"


class EscalationKind(models.TextChoices):
    CRITICAL_FLAG = "critical_flag", "Critical flag"
    SEVERE_BAND = "severe_band", "Severe withdrawal"
    CIWA_RISE = "ciwa_rise", "CIWA-B rising"
    UNABLE_TO_ASSESS = "unable_to_assess", "Unable to assess"
    MEDICATION_OVERRIDE = "medication_override", "24-hour maximum overridden"


class EscalationStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class Escalation(PublicIdModel):
    """An assessment needs the physician. Delivery and chains are the reminders feature's."""

    admission = models.ForeignKey(
        "patients.Admission", on_delete=models.PROTECT, related_name="escalations"
    )
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="escalations", null=True, blank=True
    )
    # The most urgent reason's kind; ``reasons`` names every one (one escalation per
    # assessment, clinical.risk.escalation), ``level`` is the highest (critical or high) and
    # ``summary`` the headline words ("Seizure since last check").
    kind = models.CharField(max_length=24, choices=EscalationKind.choices)
    reason = models.CharField(max_length=400)
    level = models.CharField(max_length=10, default="high")
    reasons = models.JSONField(default=list, blank=True)
    summary = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(
        max_length=16, choices=EscalationStatus.choices, default=EscalationStatus.OPEN
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "kind"], name="one_escalation_per_assessment_kind"
            )
        ]
