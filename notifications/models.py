"""Notifications (reminders and escalation steps), the per-unit on-call roster and chain,
and the sweep heartbeat.

The database decides what is due (ReassessmentSchedule, Escalation, doses); a Notification
row is created exactly once per (subject, kind, due time, recipient) by a unique constraint,
so repeated or concurrent sweeps are harmless. In-app delivery is the row itself; email is
sent by a task that first claims the row with a conditional UPDATE.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from cnt_detox.core.models import PublicIdModel
from cnt_detox.core.roles import Role


class NotificationKind(models.TextChoices):
    ASSESSMENT_DUE = "assessment_due", "CIWA-B due soon"
    ASSESSMENT_OVERDUE_30 = "assessment_overdue_30", "CIWA-B overdue (charge nurse)"
    ASSESSMENT_OVERDUE_60 = "assessment_overdue_60", "CIWA-B overdue (physician)"
    ESCALATION = "escalation", "Escalation"
    DOSE_DUE = "dose_due", "Dose due"
    DOSE_LATE = "dose_late", "Dose late"
    SECOND_SIGNATURE = "second_signature", "Second signature awaited"
    # Registered by a feature above (discharge and aftercare) through core.registry.
    FOLLOWUP_DUE = "followup_due", "Follow-up appointment due"
    FOLLOWUP_OVERDUE = "followup_overdue", "Follow-up not recorded"


REMINDER_KINDS = (
    NotificationKind.ASSESSMENT_DUE,
    NotificationKind.ASSESSMENT_OVERDUE_30,
    NotificationKind.ASSESSMENT_OVERDUE_60,
)
DOSE_KINDS = (NotificationKind.DOSE_DUE, NotificationKind.DOSE_LATE)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    SKIPPED = "skipped", "Not sent (no longer relevant)"
    FAILED = "failed", "Failed after retries"


class Notification(PublicIdModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    admission = models.ForeignKey(
        "patients.Admission", on_delete=models.PROTECT, related_name="notifications"
    )
    # What the notification is about, stable across sweeps: "schedule:<admission id>",
    # "escalation:<id>" or "dose:<provider key>". Part of the uniqueness key.
    subject_key = models.CharField(max_length=80)
    escalation = models.ForeignKey(
        "assessments.Escalation",
        on_delete=models.PROTECT,
        related_name="notifications",
        null=True,
        blank=True,
    )
    # Position in the unit's escalation chain (0: on-call physician and charge nurse).
    step = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField()
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    next_attempt_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    email_sent = models.BooleanField(default=False)

    # Set when the reason went away (assessment done, escalation acknowledged, discharge).
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_key", "kind", "due_at", "recipient"],
                name="notification_once_per_subject_kind_due_recipient",
            )
        ]
        indexes = [
            # The bell: one indexed count per page.
            models.Index(
                fields=["recipient", "acknowledged_at", "resolved_at"], name="notif_bell_idx"
            ),
            models.Index(fields=["status", "next_attempt_at"], name="notif_delivery_idx"),
            models.Index(fields=["admission", "kind", "due_at"], name="notif_subject_idx"),
            # The sweep's "resolve stale reminders" UPDATE: exactly the open CIWA-B reminders
            # (a few thousand at 3,000 open admissions), not every open notification.
            models.Index(
                fields=["admission", "due_at"],
                name="notif_open_reminder_idx",
                condition=models.Q(
                    acknowledged_at__isnull=True,
                    resolved_at__isnull=True,
                    kind__in=REMINDER_KINDS,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient_id} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None and self.resolved_at is None


class UnitOnCall(models.Model):
    """Who is on call and who is charge nurse on a unit; set by admins in the admin site."""

    unit = models.OneToOneField("patients.Unit", on_delete=models.PROTECT, related_name="on_call")
    on_call_physician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        limit_choices_to={"role": Role.PHYSICIAN},
    )
    charge_nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        limit_choices_to={"role": Role.NURSE},
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "on-call roster"
        verbose_name_plural = "on-call rosters"

    def __str__(self) -> str:
        return f"On call for {self.unit}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for field, role in (("on_call_physician", Role.PHYSICIAN), ("charge_nurse", Role.NURSE)):
            user = getattr(self, field)
            if user is None:
                continue
            if user.role != role:
                errors[field] = f"{user.display_name} is not a {role}."
            elif self.unit_id and not user.units.filter(pk=self.unit_id).exists():
                errors[field] = f"{user.display_name} is not a member of this unit."
        if errors:
            raise ValidationError(errors)


class EscalationChainMember(models.Model):
    """The next people an unacknowledged escalation goes to, in order, after step 0."""

    unit = models.ForeignKey(
        "patients.Unit", on_delete=models.PROTECT, related_name="escalation_chain"
    )
    position = models.PositiveSmallIntegerField(help_text="1 is asked first after step 0.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"role__in": [Role.PHYSICIAN, Role.NURSE]},
    )

    class Meta:
        ordering = ["unit", "position"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "position"], name="chain_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit} step {self.position}"

    def clean(self) -> None:
        if self.user_id and self.unit_id and not self.user.units.filter(pk=self.unit_id).exists():
            raise ValidationError({"user": "This person is not a member of this unit."})


class SweepHeartbeat(models.Model):
    """One row (id 1): when the sweep last ran. /healthz reads it (the database, not a cache,
    so it survives a Redis flush and is shared by every web process)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_started_at = models.DateTimeField()
    last_finished_at = models.DateTimeField()
    last_created = models.PositiveIntegerField(default=0)
    last_queued = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"sweep finished {self.last_finished_at:%Y-%m-%d %H:%M:%S} UTC"
