"""Acknowledging a notification (and the escalation it is about)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from assessments import services as assessment_services
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from notifications.models import (
    Notification,
)


def notification_acknowledge(
    *, notification: Notification, actor: User, client: Client | None = None
) -> Notification:
    """The recipient has seen it. A physician's acknowledgement also closes the escalation
    (role table: physicians acknowledge escalations), which stops the chain and clears the
    other recipients' copies."""
    now = timezone.now()
    with transaction.atomic():
        changed = Notification.objects.filter(
            pk=notification.pk, recipient=actor, acknowledged_at__isnull=True
        ).update(acknowledged_at=now, acknowledged_by=actor)
        notification.refresh_from_db()
        escalation_closed = False
        if notification.escalation_id and actor.is_physician:
            escalation_closed = assessment_services.escalation_acknowledge(
                escalation_id=notification.escalation_id, actor=actor, now=now
            )
            if escalation_closed:
                Notification.objects.filter(
                    escalation_id=notification.escalation_id,
                    acknowledged_at__isnull=True,
                    resolved_at__isnull=True,
                ).update(resolved_at=now)
        if changed:
            audit.record(
                actor=actor,
                action=AuditAction.NOTIFICATION_ACKNOWLEDGED,
                obj=notification,
                patient=notification.admission.patient,
                client=client,
                details={
                    "kind": notification.kind,
                    "due_at": notification.due_at,
                    "escalation_acknowledged": escalation_closed,
                },
            )
    return notification
