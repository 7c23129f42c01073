"""Reminder and escalation timings, read from Django settings.

Sources: risk.md "Escalation rules" (overdue by 30 min: charge nurse; by 60 min: physician;
unacknowledged after 15 min: next in the chain) and ciwa-b.md "Reassessment interval". Those
are facility defaults and design defaults, NOT published thresholds; the reminder lead time
and the dose-late threshold are this app's own defaults. All are settings.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def _minutes(name: str, default: int) -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, name, default))


def _seconds(name: str, default: int) -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, name, default))


def lead_time() -> dt.timedelta:
    return _minutes("NOTIFICATIONS_REMINDER_LEAD_MINUTES", 15)


def overdue_charge_nurse() -> dt.timedelta:
    return _minutes("NOTIFICATIONS_OVERDUE_CHARGE_NURSE_MINUTES", 30)


def overdue_physician() -> dt.timedelta:
    return _minutes("NOTIFICATIONS_OVERDUE_PHYSICIAN_MINUTES", 60)


def chain_delay() -> dt.timedelta:
    return _minutes("NOTIFICATIONS_CHAIN_DELAY_MINUTES", 15)


def dose_late() -> dt.timedelta:
    return _minutes("DOSE_LATE_MINUTES", 60)


def claim_timeout() -> dt.timedelta:
    return _seconds("NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS", 120)


def requeue_after() -> dt.timedelta:
    return _seconds("NOTIFICATIONS_REQUEUE_AFTER_SECONDS", 120)


def retry_delay(attempt: int) -> dt.timedelta:
    """Exponential backoff after the ``attempt``-th failed send, capped."""
    base = getattr(settings, "NOTIFICATIONS_RETRY_BASE_SECONDS", 30)
    cap = getattr(settings, "NOTIFICATIONS_RETRY_MAX_SECONDS", 900)
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempt - 1)))


def max_attempts() -> int:
    return getattr(settings, "NOTIFICATIONS_MAX_ATTEMPTS", 6)


def heartbeat_stale() -> dt.timedelta:
    return _seconds("NOTIFICATIONS_HEARTBEAT_STALE_SECONDS", 180)


def late_after() -> dt.timedelta:
    return _seconds("NOTIFICATIONS_LATE_SECONDS", 120)


def queue_batch() -> int:
    return getattr(settings, "NOTIFICATIONS_QUEUE_BATCH", 500)
