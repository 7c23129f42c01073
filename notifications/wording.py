"""Plain words for notifications, in the unit's time zone with the zone name."""

from __future__ import annotations

import datetime as dt

from notifications.models import Notification, NotificationKind


def local_time(value: dt.datetime, unit: object) -> str:
    local = value.astimezone(unit.tz)  # type: ignore[attr-defined]
    return f"{local:%H:%M} {local.tzname()}"


def headline(n: Notification) -> str:
    """One line without the patient's name (it is also the email subject)."""
    unit = n.admission.unit
    where = f"bed {n.admission.bed.label}, {unit.name}"
    due = local_time(n.due_at, unit)
    if n.kind == NotificationKind.ASSESSMENT_DUE:
        return f"CIWA-B due at {due} ({where})"
    if n.kind == NotificationKind.ASSESSMENT_OVERDUE_30:
        return f"CIWA-B overdue by 30 min, was due at {due} ({where})"
    if n.kind == NotificationKind.ASSESSMENT_OVERDUE_60:
        return f"CIWA-B overdue by 60 min, was due at {due} ({where})"
    if n.kind == NotificationKind.ESCALATION:
        step = "" if n.step == 0 else f", not acknowledged: chain step {n.step}"
        return f"Escalation at {due}{step} ({where})"
    if n.kind in (NotificationKind.FOLLOWUP_DUE, NotificationKind.FOLLOWUP_OVERDUE):
        local = n.due_at.astimezone(unit.tz)
        when = f"{local.day} {local:%b %H:%M} {local.tzname()}"
        return f"{n.get_kind_display()}: {when} ({n.detail or unit.name})"
    if n.kind == NotificationKind.DOSE_DUE:
        return f"Dose due at {due} ({where})"
    return f"Dose late, was due at {due} ({where})"
