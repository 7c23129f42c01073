"""Writes of the reminders feature: the sweep, escalation notifications, acknowledgement.

The database is the source of truth for what is due. Every function here takes ``now`` so
tests can freeze the clock. Notifications are inserted with ``ignore_conflicts`` against the
unique (subject, kind, due time, recipient) constraint: a repeated, concurrent or catch-up
sweep creates each notification exactly once. Deliveries are queued after commit and only
by id; a lost task is re-queued by the next sweep (see ``_queue_deliveries``).
"""

from notifications.services.acknowledge import notification_acknowledge
from notifications.services.rows import (
    CHARGE_NURSE_ESCALATIONS,
    dose_key,
    escalation_key,
    schedule_key,
)
from notifications.services.sweep import (
    DELIVER_TASK,
    SweepResult,
    close_dose_reminders,
    escalation_notify,
    logger,
    resolve_recorded_doses,
    sweep,
)

__all__ = [
    "CHARGE_NURSE_ESCALATIONS",
    "DELIVER_TASK",
    "SweepResult",
    "close_dose_reminders",
    "dose_key",
    "escalation_key",
    "escalation_notify",
    "logger",
    "notification_acknowledge",
    "resolve_recorded_doses",
    "schedule_key",
    "sweep",
]
