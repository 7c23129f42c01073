"""Taper plans (versioned), their signatures, scheduled doses and dose administrations.

A plan version stores what the physician entered (``inputs``) and what was computed from it
(``result``: steps with derivation, warnings, table id and version, rules version), plus the
canonical JSON that the signature's SHA-256 covers, so a signed plan always reproduces.

Life of a plan (tapering.md 5: draft -> signed -> active -> completed, or superseded, or
discontinued). Signing and activation are one step here: the plan in force is the signed one
and its first dose is on its start date, so tapering.md's "signed" is the signature, not a
state a plan stays in. An active plan becomes ``completed`` once every scheduled dose has been
recorded or counted as missed (``tapering.services.plan_complete_if_finished``, run when a
dose is recorded and by the periodic ``tapering.complete_finished_plans`` task). Superseded
comes from a signed amendment, discontinued from the physician. The status columns are not
content: changing them leaves the signed digest (and ``verify_signatures``) untouched.

Nothing here is deleted. A signed plan's content never changes: the model refuses it and, on
PostgreSQL, triggers (migration 0002) refuse UPDATE of its content columns and every DELETE.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cnt_detox.core.models import PublicIdModel


class SignedPlanChangeError(Exception):
    """Code tried to change a signed plan's content; amend it instead."""


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_SECOND_SIGNATURE = "awaiting_second", "Awaiting second signature"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    SUPERSEDED = "superseded", "Superseded"
    DISCONTINUED = "discontinued", "Discontinued"


# Columns frozen once a plan leaves draft (the PostgreSQL trigger lists the same ones).
CONTENT_FIELDS = (
    "admission_id",
    "version",
    "supersedes_id",
    "amendment_reason",
    "inputs",
    "result",
    "canonical_json",
    "content_digest",
    "target_agent",
    "strategy",
    "table_id",
    "table_version",
    "rules_version",
    "start_date",
    "end_date",
    "starting_daily_mg",
    "violations",
    "lock_version",
    "created_by_id",
    "created_at",
)


class TaperPlan(PublicIdModel):
    admission = models.ForeignKey(
        "patients.Admission", on_delete=models.PROTECT, related_name="taper_plans"
    )
    version = models.PositiveIntegerField(default=1)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amendments"
    )
    amendment_reason = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT, db_index=True
    )
    # Optimistic concurrency: every draft edit must name the version it edited.
    lock_version = models.PositiveIntegerField(default=1)

    inputs = models.JSONField(help_text="The PlanRequest as entered (tapering.inputs).")
    result = models.JSONField(help_text="The computed plan (domain plan.to_dict).")
    canonical_json = models.TextField(help_text="plan.canonical_json(result): what is signed.")
    content_digest = models.CharField(max_length=64)
    target_agent = models.CharField(max_length=20)
    strategy = models.CharField(max_length=12)
    table_id = models.CharField(max_length=32)
    table_version = models.CharField(max_length=64)
    rules_version = models.CharField(max_length=16)
    start_date = models.DateField()
    end_date = models.DateField()
    starting_daily_mg = models.DecimalField(max_digits=7, decimal_places=2)
    violations = models.JSONField(default=list, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["admission", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["admission", "version"], name="taper_plan_version_unique"
            ),
            models.UniqueConstraint(
                fields=["admission"],
                condition=Q(status="active"),
                name="one_active_taper_plan_per_admission",
            ),
            models.UniqueConstraint(
                fields=["admission"],
                condition=Q(status="draft"),
                name="one_draft_taper_plan_per_admission",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(amendment_reason=""),
                name="taper_amendment_needs_reason",
            ),
        ]
        indexes = [models.Index(fields=["admission", "status"])]

    def __str__(self) -> str:
        return f"Taper plan v{self.version} ({self.get_status_display()})"

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> TaperPlan:
        instance = super().from_db(db, field_names, values)
        instance._loaded = instance._snapshot()
        return instance

    def _snapshot(self) -> dict[str, Any]:
        # Only loaded columns: reading a deferred one here would query (and recurse).
        return {n: self.__dict__[n] for n in ("status", *CONTENT_FIELDS) if n in self.__dict__}

    def save(self, *args: Any, **kwargs: Any) -> None:
        loaded = getattr(self, "_loaded", None)
        if loaded and loaded.get("status", PlanStatus.DRAFT) != PlanStatus.DRAFT:
            now = self._snapshot()
            changed = [f for f in CONTENT_FIELDS if f in now and now[f] != loaded.get(f, now[f])]
            deferred_set = [f for f in CONTENT_FIELDS if f in now and f not in loaded]
            if changed or deferred_set or self.status == PlanStatus.DRAFT:
                raise SignedPlanChangeError(
                    "A signed plan cannot be changed; amend it to make a new version."
                )
        super().save(*args, **kwargs)
        self._loaded = self._snapshot()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise SignedPlanChangeError("Taper plans are never deleted; discontinue the plan.")

    @property
    def is_draft(self) -> bool:
        return self.status == PlanStatus.DRAFT

    @property
    def is_signed(self) -> bool:
        return self.status != PlanStatus.DRAFT


class PlanSignature(PublicIdModel):
    """An electronic signature (tapering.md 5): who, as what, when, meaning, digest."""

    plan = models.OneToOneField(TaperPlan, on_delete=models.PROTECT, related_name="signature")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    printed_name = models.CharField(max_length=200)
    role = models.CharField(max_length=16)
    signed_at = models.DateTimeField(default=timezone.now)
    meaning = models.CharField(max_length=100, default="approved taper plan")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the plan's canonical JSON.")
    override_reason = models.TextField(blank=True)
    overridden_codes = models.JSONField(default=list, blank=True)
    second_factor = models.BooleanField(default=False)

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.printed_name}, {self.meaning}, {self.signed_at:%Y-%m-%d %H:%M} UTC"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise SignedPlanChangeError("Signatures are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise SignedPlanChangeError("Signatures are never deleted.")


class PlanSecondSignature(PublicIdModel):
    """An addiction specialist's second signature (issue 15; tapering.md 1.3 specialist review):
    a different physician, flagged as specialist, approves the same content (same digest)."""

    plan = models.OneToOneField(
        TaperPlan, on_delete=models.PROTECT, related_name="second_signature"
    )
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    printed_name = models.CharField(max_length=200)
    role = models.CharField(max_length=16)
    signed_at = models.DateTimeField(default=timezone.now)
    meaning = models.CharField(max_length=100, default="specialist second signature")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the plan's canonical JSON.")
    reasons = models.JSONField(default=list, help_text="Why a second signature was needed.")
    second_factor = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.printed_name}, {self.meaning}, {self.signed_at:%Y-%m-%d %H:%M} UTC"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise SignedPlanChangeError("Signatures are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise SignedPlanChangeError("Signatures are never deleted.")


class ScheduledDose(PublicIdModel):
    """One dose of a signed plan, due at a unit-local time; created when the plan is signed."""

    plan = models.ForeignKey(TaperPlan, on_delete=models.PROTECT, related_name="doses")
    date = models.DateField()
    time = models.TimeField(help_text="Unit-local time of day.")
    due_at = models.DateTimeField(db_index=True, help_text="date + time in the unit's zone, UTC.")
    mg = models.DecimalField(max_digits=7, decimal_places=2)
    units_text = models.CharField(max_length=200)
    step_index = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["plan", "due_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "date", "time"], name="scheduled_dose_unique"),
            models.CheckConstraint(condition=Q(mg__gt=0), name="scheduled_dose_above_zero"),
        ]
        indexes = [models.Index(fields=["plan", "date"])]

    def __str__(self) -> str:
        return f"{self.mg} mg on {self.date} at {self.time:%H:%M}"


class Outcome(models.TextChoices):
    GIVEN = "given", "Given"
    HELD = "held", "Held"
    REFUSED = "refused", "Refused"


class HeldReason(models.TextChoices):
    """tapering.md 6: reasons a dose is held."""

    SEDATED = "sedated", "Sedated"
    DIFFICULT_TO_ROUSE = "difficult_to_rouse", "Patient asleep and difficult to rouse"
    REFUSED = "refused", "Refused"
    VOMITED = "vomited", "Vomited"
    OFF_UNIT = "off_unit", "Off unit"
    OTHER = "other", "Other"


class RecordStatus(models.TextChoices):
    VALID = "valid", "Valid"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class DoseAdministration(PublicIdModel):
    scheduled_dose = models.ForeignKey(
        ScheduledDose, on_delete=models.PROTECT, related_name="administrations"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    held_reason = models.CharField(max_length=20, choices=HeldReason.choices, blank=True)
    reason_text = models.TextField(blank=True)
    occurred_at = models.DateTimeField(help_text="When it was given, held or refused.")
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Made when the form was drawn; a resend with the same key returns this record.
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    # When Save was pressed on a device that queued the entry without a connection (device
    # clock, checked within limits); null for records that reached the server at once.
    recorded_offline_at = models.DateTimeField(null=True, blank=True)
    sedation_advice_shown = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=RecordStatus.choices, default=RecordStatus.VALID
    )
    error_reason = models.TextField(blank=True)
    error_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    error_marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheduled_dose"],
                condition=Q(status="valid"),
                name="one_valid_record_per_dose",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="held") | ~Q(held_reason=""),
                name="held_dose_needs_reason",
            ),
            models.CheckConstraint(
                condition=~Q(held_reason="other") | ~Q(reason_text=""),
                name="held_other_needs_text",
            ),
            models.CheckConstraint(
                condition=Q(status="valid") | ~Q(error_reason=""),
                name="dose_in_error_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {self.occurred_at}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise SignedPlanChangeError("Dose records are never deleted; mark entered in error.")
