"""Delivery of one notification by email (in-app delivery is the row itself).

Exactly-once bookkeeping: the row is claimed with a conditional UPDATE (only a pending row
whose next attempt is due, or a row whose previous claim is older than the claim timeout
because its worker died). A duplicate task, a second sweep or a redelivered message finds
nothing to claim and does nothing. No transaction is held open while the mail server talks.

Limit: if a worker dies after the mail server accepted the message but before the row is
marked delivered, the reclaim sends that email once more. In-app notifications are never
duplicated (one row per unique key).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from assessments.models import EscalationStatus
from cnt_detox.core import registry
from notifications import conf, providers
from notifications.cosign import plan_still_awaiting
from notifications.models import (
    DOSE_KINDS,
    REMINDER_KINDS,
    DeliveryStatus,
    Notification,
    NotificationKind,
)
from notifications.wording import headline
from patients.models import AdmissionStatus

logger = logging.getLogger("notifications.delivery")


@dataclass(frozen=True)
class Outcome:
    result: str  # "delivered", "skipped", "retry", "failed", "not_claimed"
    retry_in: dt.timedelta | None = None


def _claim(notification_id: int, now: dt.datetime) -> bool:
    claimable = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - conf.claim_timeout()
    )
    return bool(
        Notification.objects.filter(
            claimable, pk=notification_id, delivered_at__isnull=True, resolved_at__isnull=True
        ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def still_relevant(n: Notification) -> bool:
    """Skip what was dealt with meanwhile (assessment done, escalation acknowledged...)."""
    source = registry.source_for_kind(n.kind)
    if source is not None:
        # Registered reminders (follow-ups) are about patients after discharge.
        return n.subject_key in source.still_open([n.subject_key])
    admission = n.admission
    if admission.status != AdmissionStatus.OPEN or admission.discharged_at is not None:
        return False
    if n.kind in REMINDER_KINDS:
        schedule = getattr(admission, "schedule", None)
        return bool(schedule and schedule.active and schedule.next_due_at == n.due_at)
    if n.escalation_id is not None:
        return n.escalation.status == EscalationStatus.OPEN
    if n.kind in DOSE_KINDS:
        return providers.dose_is_pending(n.subject_key.removeprefix("dose:"))
    if n.kind == NotificationKind.SECOND_SIGNATURE:
        return plan_still_awaiting(n.subject_key)
    return True


def _send_email(n: Notification) -> bool:
    address = n.recipient.email
    if not address:
        return False
    subject = f"CNT Detox: {headline(n, private=True)}"
    # No patient name or clinical detail in email: it leaves the hospital's systems. The
    # links carry only random ids and open after login.
    site = settings.NOTIFICATIONS_SITE_URL.rstrip("/")
    body = (
        f"{headline(n, private=True)}\n\nOpen CNT Detox to see and acknowledge it: "
        f"{site}{reverse('notifications:list')}\n"
        f"The patient: {site}{reverse('patients:detail', args=[n.admission.public_id])}\n"
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
    return True


def notification_deliver(*, notification_id: int) -> Outcome:
    now = timezone.now()
    if not _claim(notification_id, now):
        return Outcome("not_claimed")
    mine = Notification.objects.filter(
        pk=notification_id, status=DeliveryStatus.SENDING, claimed_at=now
    )
    n = Notification.objects.select_related(
        "recipient",
        "escalation",
        "admission__unit",
        "admission__bed",
        "admission__schedule",
    ).get(pk=notification_id)
    if not still_relevant(n):
        mine.update(status=DeliveryStatus.SKIPPED, resolved_at=now)
        return Outcome("skipped")
    try:
        emailed = _send_email(n)
    except Exception as exc:  # any transport error: retry later with backoff
        attempts = n.attempts
        failed = attempts >= conf.max_attempts()
        delay = conf.retry_delay(attempts)
        mine.update(
            status=DeliveryStatus.FAILED if failed else DeliveryStatus.PENDING,
            next_attempt_at=now + delay,
            queued_at=None if failed else now,
            last_error=f"{type(exc).__name__}: {exc}"[:300],
        )
        logger.warning("Email for notification %s failed (attempt %s)", n.pk, attempts)
        return Outcome("failed") if failed else Outcome("retry", retry_in=delay)
    mine.update(status=DeliveryStatus.DELIVERED, delivered_at=timezone.now(), email_sent=emailed)
    return Outcome("delivered")
