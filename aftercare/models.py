"""Discharge and aftercare: the discharge record with its readiness, versioned aftercare plans,
follow-up appointments, signed discharge summaries and the patient's expiring links.

Nothing here is deleted. An aftercare plan and a discharge summary are versions: a change is a
new row linked to the one it replaces, with a reason; a signed summary's content never changes
(the model refuses it). A follow-up appointment is cancelled with a reason, never removed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cnt_detox.core.models import PublicIdModel


class FrozenRecordError(Exception):
    """Code tried to change or delete a record that is only ever superseded."""


class AppendOnlyModel(PublicIdModel):
    """Rows are written once; later states are new rows (or the few status columns below)."""

    # Columns a service may still change after the insert (status of a version).
    MUTABLE_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if not fields or set(fields) - set(self.MUTABLE_FIELDS):
                raise FrozenRecordError(f"A {self._meta.verbose_name} is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise FrozenRecordError(f"A {self._meta.verbose_name} is never deleted.")


class SupportGroup(models.Model):
    """The facility's list of support groups, kept by admins in the admin site."""

    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    contact = models.CharField(max_length=200, blank=True, help_text="Phone, e-mail or website.")
    meetings = models.CharField(max_length=200, blank=True, help_text="When and where it meets.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OverrideCategory(models.TextChoices):
    AGAINST_MEDICAL_ADVICE = "against_medical_advice", "Against medical advice"
    TRANSFER_TO_HOSPITAL = "transfer_to_hospital", "Transfer to hospital"
    OTHER = "other", "Other (say why)"


class DischargeRecord(AppendOnlyModel):
    """What was open at discharge and who decided to discharge anyway, with the reason."""

    admission = models.OneToOneField(
        "patients.Admission", on_delete=models.PROTECT, related_name="discharge_record"
    )
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    readiness = models.JSONField(default=list, blank=True, help_text="Open items at discharge.")
    rules_version = models.CharField(max_length=16)
    override_category = models.CharField(
        max_length=32, choices=OverrideCategory.choices, blank=True
    )
    override_reason = models.TextField(blank=True)
    warnings_acknowledged = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(override_category="") | ~Q(override_reason=""),
                name="discharge_override_needs_reason",
            )
        ]

    def __str__(self) -> str:
        return f"Discharge record of {self.admission_id}"


class LevelOfCare(models.TextChoices):
    OUTPATIENT = "outpatient", "Outpatient"
    INTENSIVE_OUTPATIENT = "intensive_outpatient", "Intensive outpatient"
    PARTIAL_HOSPITALISATION = "partial_hospitalisation", "Partial hospitalisation"
    RESIDENTIAL = "residential", "Residential"
    NONE = "none", "None"


class ReferralKind(models.TextChoices):
    CBT = "cbt", "Cognitive behavioural therapy (CBT)"
    COUNSELLING = "counselling", "Counselling"
    FAMILY_THERAPY = "family_therapy", "Family therapy"
    OTHER = "other", "Other"


class AftercarePlan(AppendOnlyModel):
    """One version of the aftercare and relapse-prevention plan; the newest is current."""

    MUTABLE_FIELDS = ("superseded_at",)

    admission = models.ForeignKey(
        "patients.Admission", on_delete=models.PROTECT, related_name="aftercare_plans"
    )
    version = models.PositiveIntegerField()
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    change_reason = models.TextField(blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    level_of_care = models.CharField(max_length=32, choices=LevelOfCare.choices)
    level_reason = models.TextField()
    # [{"kind", "provider", "first_appointment" (ISO local date-time or ""), "notes"}]
    referrals = models.JSONField(default=list, blank=True)
    # Snapshot of the chosen facility groups at this version: [{"id", "name", "contact",
    # "meetings"}], so a later edit of the list in the admin site does not rewrite history.
    support_groups = models.JSONField(default=list, blank=True)
    other_support = models.TextField(blank=True)
    # Relapse-prevention plan in the patient's own words.
    triggers = models.TextField(blank=True)
    warning_signs = models.TextField(blank=True)
    coping_strategies = models.TextField(blank=True)
    people_to_call = models.TextField(blank=True)
    family_involvement = models.TextField(blank=True)
    consent_to_share = models.BooleanField(default=False)
    consent_details = models.TextField(blank=True, help_text="Who may be told what.")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["admission", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["admission", "version"], name="aftercare_plan_version_unique"
            ),
            models.UniqueConstraint(
                fields=["admission"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_aftercare_plan",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(change_reason=""),
                name="aftercare_change_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Aftercare plan v{self.version}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class FollowUpMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    TELEHEALTH = "telehealth", "Telehealth (video or phone)"


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ATTENDED = "attended", "Attended"
    MISSED = "missed", "Did not attend"
    CANCELLED = "cancelled", "Cancelled"


class Adherence(models.TextChoices):
    AS_PRESCRIBED = "as_prescribed", "Taking the taper as prescribed"
    PARTLY = "partly", "Partly (missed or changed doses)"
    NOT_TAKING = "not_taking", "Not taking the taper"
    UNKNOWN = "unknown", "Not known"


class FollowUpAppointment(PublicIdModel):
    """A check-in after discharge; a reminder for the clinic staff until it is recorded."""

    admission = models.ForeignKey(
        "patients.Admission", on_delete=models.PROTECT, related_name="follow_ups"
    )
    scheduled_at = models.DateTimeField(db_index=True)
    with_whom = models.CharField(max_length=200)
    mode = models.CharField(max_length=16, choices=FollowUpMode.choices)
    location = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.SCHEDULED
    )
    # Outcome (attended / missed / cancelled), never cleared once set.
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    outcome_note = models.TextField(blank=True)
    adherence = models.CharField(max_length=16, choices=Adherence.choices, blank=True)
    ciwa_b_total = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="CIWA-B total at the follow-up (0-80), if taken."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["scheduled_at", "id"]
        indexes = [models.Index(fields=["status", "scheduled_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ciwa_b_total__isnull=True) | Q(ciwa_b_total__lte=80),
                name="followup_ciwa_total_0_80",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(outcome_note=""),
                name="followup_cancel_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up {self.scheduled_at:%Y-%m-%d %H:%M} with {self.with_whom}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise FrozenRecordError("Follow-up appointments are cancelled, never deleted.")


class SummaryStatus(models.TextChoices):
    SIGNED = "signed", "Signed"
    SUPERSEDED = "superseded", "Superseded by an amendment"


class DischargeSummary(AppendOnlyModel):
    """One signed version of the discharge summary: content, digest and signature together.

    There are no drafts: the page previews the summary from the live records and signing
    freezes that content (tapering.md 5 signing: password, one-time code if enrolled, printed
    name, role, time, meaning and the SHA-256 of the canonical content).
    """

    MUTABLE_FIELDS = ("status", "superseded_at")

    admission = models.ForeignKey(
        "patients.Admission", on_delete=models.PROTECT, related_name="discharge_summaries"
    )
    version = models.PositiveIntegerField()
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    amendment_reason = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=SummaryStatus.choices, default=SummaryStatus.SIGNED
    )
    superseded_at = models.DateTimeField(null=True, blank=True)

    content = models.JSONField()
    canonical_json = models.TextField()
    digest = models.CharField(max_length=64, help_text="SHA-256 of canonical_json.")
    content_version = models.CharField(max_length=16)

    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    printed_name = models.CharField(max_length=200)
    role = models.CharField(max_length=16)
    signed_at = models.DateTimeField(default=timezone.now)
    meaning = models.CharField(max_length=100, default="approved discharge summary")
    second_factor = models.BooleanField(default=False)

    class Meta:
        ordering = ["admission", "-version"]
        verbose_name_plural = "discharge summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["admission", "version"], name="discharge_summary_version_unique"
            ),
            models.UniqueConstraint(
                fields=["admission"],
                condition=Q(status="signed"),
                name="one_current_discharge_summary",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(amendment_reason=""),
                name="summary_amendment_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Discharge summary v{self.version} ({self.get_status_display()})"


class PatientLink(PublicIdModel):
    """A link the patient opens on their phone; only the SHA-256 of its token is stored."""

    admission = models.ForeignKey(
        "patients.Admission", on_delete=models.PROTECT, related_name="patient_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    opened_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Patient link until {self.expires_at:%Y-%m-%d %H:%M} UTC"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise FrozenRecordError("Patient links are revoked, never deleted.")
