"""Reads of notifications: a user sees only their own, for patients of their units."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from assessments.models import Escalation
from notifications.models import Notification
from patients.selectors import admission_ids_for_user


def notifications_for_user(user: Any) -> QuerySet[Notification]:
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(
        recipient=user, admission__in=admission_ids_for_user(user)
    ).select_related(
        "admission__patient",
        "admission__unit",
        "admission__bed",
        "escalation__assessment",
        "acknowledged_by",
    )


def open_notifications_for_user(user: Any) -> QuerySet[Notification]:
    return notifications_for_user(user).filter(
        acknowledged_at__isnull=True, resolved_at__isnull=True
    )


def notification_for_user(user: Any, public_id: uuid.UUID | str) -> Notification:
    try:
        return notifications_for_user(user).get(public_id=public_id)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404("No such notification.") from None


def open_count_for_user(user: Any) -> int:
    """The bell's number: one indexed COUNT (no unit join; the list filters by unit)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(
        recipient=user, acknowledged_at__isnull=True, resolved_at__isnull=True
    ).count()


def escalation_steps(admission: Any) -> list[dict[str, Any]]:
    """Escalations of an admission with every notification step, for the patient page.

    The caller has already resolved ``admission`` through ``admission_for_user``. Two queries.
    """
    escalations = list(Escalation.objects.filter(admission=admission).order_by("-created_at"))
    steps = (
        Notification.objects.filter(escalation__in=escalations)
        .select_related("recipient", "acknowledged_by")
        .order_by("step", "created_at", "id")
    )
    by_escalation: dict[int, list[Notification]] = {e.pk: [] for e in escalations}
    for n in steps:
        by_escalation[n.escalation_id].append(n)
    return [{"escalation": e, "steps": by_escalation[e.pk]} for e in escalations]


def period_notification_count(
    admission_ids: list[int], start: dt.datetime, end: dt.datetime
) -> int:
    """Notifications created for these stays in [start, end) (period report; one query)."""
    return Notification.objects.filter(
        admission_id__in=admission_ids, created_at__gte=start, created_at__lt=end
    ).count()
