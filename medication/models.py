"""Medication orders besides the taper plan: scheduled and as-needed (PRN), and their doses.

Issue 15. The app suggests no adjunct dose (no published dosing table in shared/domain): the
physician enters every dose. Orders are signed when placed (password, and one-time code when
enrolled), a change is a new signed version, a stop is a discontinuation with a reason; nothing
is deleted. Benzodiazepine PRN doses are gated (clinical/medication.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clinical.medication import PRN_AGENTS
from cnt_detox.core.models import PublicIdModel


class ClinicalRecordDeleteError(Exception):
    pass


class FormularyItem(models.Model):
    """A medicine the facility stocks, kept by admins in the admin site."""

    name = models.CharField(max_length=100, unique=True, help_text="e.g. Trazodone")
    agent = models.SlugField(
        max_length=40,
        help_text="Generic name in lower case; diazepam and chlordiazepoxide count as "
        "benzodiazepines in the 24-hour total.",
    )
    form = models.CharField(max_length=60, help_text="e.g. 50 mg tablets")
    default_route = models.CharField(max_length=20, default="oral")
    is_benzodiazepine = models.BooleanField(default=False)
    sedating = models.BooleanField(
        default=False,
        help_text="Hold advice applies when the patient is sedated (benzodiazepines, "
        "gabapentinoids, trazodone, ...).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.form})"

    def clean(self) -> None:
        if self.is_benzodiazepine and self.agent not in PRN_AGENTS:
            raise ValidationError(
                {"agent": "Only diazepam and chlordiazepoxide are counted as benzodiazepines."}
            )
        if self.is_benzodiazepine:
            self.sedating = True

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ClinicalRecordDeleteError("Untick 'active' instead: orders refer to this medicine.")


class OrderKind(models.TextChoices):
    SCHEDULED = "scheduled", "At set times"
    PRN = "prn", "As needed"


class OrderStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"
    DISCONTINUED = "discontinued", "Discontinued"


class MedicationOrder(PublicIdModel):
    admission = models.ForeignKey(
        "patients.Admission", on_delete=models.PROTECT, related_name="medication_orders"
    )
    item = models.ForeignKey(FormularyItem, on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(max_length=10, choices=OrderKind.choices)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    route = models.CharField(max_length=20, default="oral")
    times = models.JSONField(default=list, blank=True, help_text="Unit-local HH:MM (scheduled).")
    indication = models.CharField(max_length=200, blank=True, help_text="PRN: when to give.")
    min_interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    max_mg_24h = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Benzodiazepines: diazepam-equivalent mg of all scheduled and PRN "
        "benzodiazepine in 24 h. Other medicines: mg of this order in 24 h.",
    )
    ciwa_within_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="PRN benzodiazepine: a CIWA-B within this many minutes."
    )
    starts_at = models.DateTimeField()
    stops_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    change_reason = models.TextField(blank=True)
    status = models.CharField(
        max_length=14, choices=OrderStatus.choices, default=OrderStatus.ACTIVE, db_index=True
    )
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # The signature: who, as what, when, meaning, SHA-256 of the canonical order.
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    printed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    meaning = models.CharField(max_length=100, default="approved medication order")
    digest = models.CharField(max_length=64)
    second_factor = models.BooleanField(default=False)

    class Meta:
        ordering = ["admission", "item__name", "-version"]
        constraints = [
            models.CheckConstraint(condition=Q(dose_mg__gt=0), name="order_dose_above_zero"),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(change_reason=""),
                name="order_change_needs_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind="prn") | Q(min_interval_minutes__isnull=False),
                name="prn_order_needs_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} {self.dose_mg} mg {self.get_kind_display().lower()}"

    @property
    def is_prn(self) -> bool:
        return self.kind == OrderKind.PRN

    @property
    def is_benzodiazepine(self) -> bool:
        return self.item.is_benzodiazepine

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ClinicalRecordDeleteError("Orders are never deleted; discontinue with a reason.")


class DoseOutcome(models.TextChoices):
    GIVEN = "given", "Given"
    HELD = "held", "Held"
    REFUSED = "refused", "Refused"


class DoseStatus(models.TextChoices):
    VALID = "valid", "Valid"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class MedicationDose(PublicIdModel):
    """One dose of an order given, held or refused; PRN doses have no ``due_at``."""

    order = models.ForeignKey(MedicationOrder, on_delete=models.PROTECT, related_name="doses")
    due_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=DoseOutcome.choices)
    reason_text = models.TextField(blank=True)
    mg = models.DecimalField(max_digits=7, decimal_places=2)
    diazepam_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ciwa_assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    total_24h_diazepam_mg = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, help_text="After this dose."
    )
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    override_reason = models.TextField(blank=True)
    sedation_advice_shown = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=DoseStatus.choices, default=DoseStatus.VALID)
    error_reason = models.TextField(blank=True)
    error_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    error_marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "due_at"],
                condition=Q(status="valid") & Q(due_at__isnull=False),
                name="one_valid_record_per_order_dose",
            ),
            models.CheckConstraint(
                condition=Q(status="valid") | ~Q(error_reason=""),
                name="medication_dose_error_needs_reason",
            ),
            models.CheckConstraint(
                condition=Q(override_by__isnull=True) | ~Q(override_reason=""),
                name="override_needs_reason",
            ),
        ]
        indexes = [models.Index(fields=["order", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.mg} mg at {self.occurred_at}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ClinicalRecordDeleteError("Dose records are never deleted; mark entered in error.")
