"""Escalations: raise one and acknowledge it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from assessments.models import (
    Escalation,
    EscalationKind,
    EscalationStatus,
)
from cnt_detox.core.models import User


def escalation_raise(
    *,
    admission: Any,
    reason: str,
    summary: str,
    kind: str = EscalationKind.MEDICATION_OVERRIDE,
    level: str = "high",
) -> Escalation:
    """An escalation that no assessment raised (e.g. a 24-hour medication maximum overridden):
    the reminders feature delivers it along the unit's chain like any other. Runs inside the
    caller's transaction so it exists only if what caused it was saved."""
    return Escalation.objects.create(
        admission=admission,
        assessment=None,
        kind=kind,
        level=level,
        reason=reason[:400],
        summary=summary[:200],
        reasons=[{"kind": kind, "text": reason[:400], "words": summary[:200]}],
    )


def escalation_acknowledge(*, escalation_id: int, actor: User, now: datetime) -> bool:
    """Close an open escalation (role table: physicians acknowledge escalations).

    A conditional UPDATE, so two physicians acknowledging together close it once; returns
    whether this call closed it. The caller holds the transaction and records the audit event
    of what the physician acknowledged (the notification), which names this outcome.
    """
    return bool(
        Escalation.objects.filter(pk=escalation_id, status=EscalationStatus.OPEN).update(
            status=EscalationStatus.ACKNOWLEDGED, acknowledged_by=actor, acknowledged_at=now
        )
    )
