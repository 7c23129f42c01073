"""Reminders to addiction specialists of plans waiting for their second signature (issue 15).

A taper plan in status ``awaiting_second`` is not in force until a physician of the unit
flagged as addiction specialist co-signs it (README "Second signature by an addiction
specialist"). The sweep calls ``second_signature_rows`` (one query, however many plans and
specialists) and ``resolve_second_signatures`` (one UPDATE); the notification is keyed by the
plan's public id and the moment it started waiting, so a repeated sweep creates nothing new and
a plan that waits again after an amendment is a new reminder.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Exists, OuterRef, Q

from cnt_detox.core.roles import Role
from notifications.models import Notification, NotificationKind
from patients.models import AdmissionStatus
from tapering.models import PlanStatus, TaperPlan

PREFIX = "plan:"


def plan_key(public_id: uuid.UUID | str) -> str:
    return f"{PREFIX}{public_id}"


def plan_public_id(subject_key: str) -> str | None:
    """The plan's public id in a second-signature notification's key (no query)."""
    if not subject_key.startswith(PREFIX):
        return None
    try:
        return str(uuid.UUID(subject_key.removeprefix(PREFIX)))
    except ValueError:
        return None


def _awaiting() -> Q:
    return Q(
        status=PlanStatus.AWAITING_SECOND_SIGNATURE,
        status_changed_at__isnull=False,
        admission__status=AdmissionStatus.OPEN,
        admission__discharged_at__isnull=True,
    )


def second_signature_rows(now: dt.datetime) -> list[Notification]:
    """One notification per waiting plan and active specialist of its unit (not the first
    signer, who may not co-sign). One query: plans joined to their unit's specialists."""
    rows = (
        TaperPlan.objects.filter(_awaiting(), status_changed_at__lte=now)
        .filter(
            admission__unit__members__is_active=True,
            admission__unit__members__role=Role.PHYSICIAN,
            admission__unit__members__is_addiction_specialist=True,
        )
        .values_list(
            "public_id",
            "version",
            "admission_id",
            "status_changed_at",
            "status_reason",
            "signature__signed_by_id",
            "admission__unit__members__id",
        )
        .order_by("pk", "admission__unit__members__id")
    )
    out: list[Notification] = []
    for public_id, version, admission_id, since, reason, first_signer, specialist in rows:
        if specialist == first_signer:
            continue
        detail = f"Taper plan version {version} waits for your second signature. {reason}"
        out.append(
            Notification(
                recipient_id=specialist,
                kind=NotificationKind.SECOND_SIGNATURE,
                admission_id=admission_id,
                subject_key=plan_key(public_id),
                due_at=since,
                detail=detail.strip()[:300],
                created_at=now,
                next_attempt_at=now,
            )
        )
    return out


def resolve_second_signatures(now: dt.datetime) -> int:
    """Close open reminders of plans that no longer wait (co-signed, discontinued, superseded,
    or the stay ended). One UPDATE; matched on the admission and the moment waiting began."""
    still_waiting = TaperPlan.objects.filter(
        _awaiting(), admission_id=OuterRef("admission_id"), status_changed_at=OuterRef("due_at")
    )
    return (
        Notification.objects.filter(
            kind=NotificationKind.SECOND_SIGNATURE,
            resolved_at__isnull=True,
            acknowledged_at__isnull=True,
        )
        .exclude(Exists(still_waiting))
        .update(resolved_at=now)
    )


def plan_still_awaiting(subject_key: str) -> bool:
    """At delivery time: is the plan still waiting for a second signature?"""
    public_id = plan_public_id(subject_key)
    return bool(public_id) and TaperPlan.objects.filter(_awaiting(), public_id=public_id).exists()
