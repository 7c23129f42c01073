"""Units, beds, patients, admissions and the intake (substance use, history).

Clinical rows are never deleted (``on_delete=PROTECT`` everywhere); a discharge closes an
admission, a transfer moves it and leaves an ``AdmissionMovement`` row, so the census at any
past time can be rebuilt from history.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clinical.risk import DOSE_UNKNOWN
from cnt_detox.core.models import PublicIdModel


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"{value!r} is not a time zone name; use an IANA name such as Europe/London."
        ) from None


class Unit(PublicIdModel):
    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_now(self, now: dt.datetime | None = None) -> dt.datetime:
        return (now or timezone.now()).astimezone(self.tz)


class Bed(PublicIdModel):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="beds")
    label = models.CharField(max_length=20)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["unit__name", "label"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "label"], name="bed_label_unique_in_unit")
        ]

    def __str__(self) -> str:
        return f"{self.unit.name} {self.label}"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Patient(PublicIdModel):
    # One facility per deployment, so "unique per facility" is a plain unique constraint.
    mrn = models.CharField("MRN", max_length=32, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


DOSE_UNKNOWN_TEXT = "unknown: not converted"
"""How an unknown intake dose is shown and exported (equivalence.md: never guessed, never 0)."""


class AdmissionStatus(models.TextChoices):
    OPEN = "open", "Admitted"
    DISCHARGED = "discharged", "Discharged"


class Admission(PublicIdModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="admissions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="admissions")
    bed = models.ForeignKey(Bed, on_delete=models.PROTECT, related_name="admissions")
    admitted_at = models.DateTimeField()
    discharged_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=AdmissionStatus.choices, default=AdmissionStatus.OPEN, db_index=True
    )
    discharge_reason = models.TextField(blank=True)
    primary_agent = models.CharField(max_length=40, blank=True)
    referral_notes = models.TextField(blank=True)
    other_substances = models.TextField(
        blank=True, help_text="Other substances used (alcohol, opioids, stimulants...)."
    )

    # History (risk.md, equivalence.md).
    withdrawal_seizures = models.BooleanField(default=False)
    epilepsy = models.BooleanField("Epilepsy or seizure disorder", default=False)
    withdrawal_psychosis = models.BooleanField("Withdrawal psychosis or delirium", default=False)
    alcohol_dependence = models.BooleanField(default=False)
    other_cns_depressants = models.BooleanField(
        "Other CNS depressants in use",
        default=False,
        help_text="Opioids, gabapentinoids, barbiturates or Z-drugs.",
    )
    other_cns_depressants_detail = models.CharField(max_length=200, blank=True)
    hepatic_impairment = models.BooleanField(default=False)
    injecting = models.BooleanField("Injecting benzodiazepines", default=False)

    # Computed at intake and stored with the table and rules that made them, so the record
    # can be reproduced even after a table changes.
    diazepam_equivalent_mg = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True
    )
    diazepam_range_low_mg = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True
    )
    diazepam_range_high_mg = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True
    )
    equivalence_table = models.CharField(max_length=32, blank=True)
    equivalence_table_version = models.CharField(max_length=32, blank=True)
    dose_band = models.CharField(max_length=10, blank=True)
    withdrawal_risk = models.CharField(max_length=10, blank=True)
    intake_flags = models.JSONField(default=list, blank=True)
    setting_recommendation = models.JSONField(default=dict, blank=True)
    # How the stored results were made: risk rules version, the days per week and duration fed
    # to the withdrawal-risk matrix, agents left unconverted, the moment flags were judged at.
    intake_basis = models.JSONField(default=dict, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-admitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["bed"],
                condition=Q(discharged_at__isnull=True),
                name="one_current_admission_per_bed",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(discharged_at__isnull=True),
                name="one_open_admission_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(discharged_at__isnull=True)
                | Q(discharged_at__gte=models.F("admitted_at")),
                name="discharge_not_before_admission",
            ),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(discharged_at__isnull=True))
                | (Q(status="discharged") & Q(discharged_at__isnull=False)),
                name="admission_status_matches_discharge",
            ),
        ]
        indexes = [models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return f"{self.patient} ({self.unit}, {self.bed.label})"

    @property
    def is_open(self) -> bool:
        return self.discharged_at is None

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("patients:detail", args=[self.public_id])

    @property
    def dose_unconverted(self) -> bool:
        """An intake agent was not converted (equivalence.md: never guessed): dose not known."""
        return bool((self.intake_basis or {}).get("unconverted"))

    @property
    def dose_text(self) -> str:
        """The intake daily dose in words: "12 mg", "at least 12 mg" or "unknown: not converted".

        An unconverted agent makes the dose unknown, never 0 mg; with converted agents beside
        it, their total is only a lower bound.
        """
        mg = self.diazepam_equivalent_mg
        if mg is None:
            return DOSE_UNKNOWN_TEXT if self.dose_unconverted or self.dose_band else ""
        text = f"{mg:.2f}".removesuffix(".00") + " mg"
        return f"at least {text}" if self.dose_unconverted else text

    @property
    def dose_band_text(self) -> str:
        if self.dose_band == DOSE_UNKNOWN:
            return "Band unknown"
        return f"{self.dose_band.capitalize()} dose" if self.dose_band else ""

    def day_of_stay(self, now: dt.datetime | None = None) -> int:
        """Day 1 is the admission day, counted in the unit's time zone."""
        tz = self.unit.tz
        today = (now or timezone.now()).astimezone(tz).date()
        return (today - self.admitted_at.astimezone(tz).date()).days + 1


class CurrentSubstanceManager(models.Manager["SubstanceUse"]):
    """Rows still part of the intake: a row removed in an edit is kept, marked in error.

    The default manager (so ``admission.substances`` and prefetches use it too): every
    clinical reader wants the current regimen; the audit trail and ``all_objects`` keep the rest.
    """

    def get_queryset(self) -> models.QuerySet[SubstanceUse]:
        return super().get_queryset().filter(entered_in_error=False)


class SubstanceUse(PublicIdModel):
    OTHER = "other"

    objects = CurrentSubstanceManager()
    all_objects = models.Manager()

    admission = models.ForeignKey(Admission, on_delete=models.PROTECT, related_name="substances")
    agent = models.CharField(
        max_length=40, help_text="An agent of the equivalence tables, or 'other'."
    )
    other_agent_text = models.CharField(max_length=100, blank=True)
    daily_dose_mg = models.DecimalField(
        max_digits=8,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000"))],
    )
    doses_per_day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    days_per_week = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    duration_months = models.DecimalField(
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1200"))],
    )
    last_dose_at = models.DateTimeField(null=True, blank=True)
    prescribed = models.BooleanField(null=True, blank=True)
    # Conversion under the admission's table; null for "other" agents (never guessed).
    diazepam_mg = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    diazepam_range_low_mg = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True
    )
    diazepam_range_high_mg = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True
    )
    position = models.PositiveSmallIntegerField(default=0)
    entered_in_error = models.BooleanField(default=False)

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["admission", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_dose_mg__gte=0) & Q(daily_dose_mg__lte=1000),
                name="substance_dose_in_range",
            ),
            models.CheckConstraint(
                condition=Q(days_per_week__gte=1) & Q(days_per_week__lte=7),
                name="substance_days_per_week_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_label} {self.daily_dose_mg} mg/day"

    @property
    def agent_label(self) -> str:
        if self.agent == self.OTHER:
            return self.other_agent_text or "Other/unknown"
        return self.agent.capitalize()


class AdmissionMovement(PublicIdModel):
    """A bed or unit change (or the initial placement). Census at a past time reads these."""

    admission = models.ForeignKey(Admission, on_delete=models.PROTECT, related_name="movements")
    from_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    from_bed = models.ForeignKey(
        Bed, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    to_bed = models.ForeignKey(Bed, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField()
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["admission", "moved_at", "id"]
        indexes = [models.Index(fields=["to_unit", "moved_at"])]
