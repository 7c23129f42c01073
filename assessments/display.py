"""Plain-words times for nurses: unit-local clock time with the zone name, and "in 52 min"."""

from __future__ import annotations

import zoneinfo
from datetime import datetime


def local_time(value: datetime | None, tz: zoneinfo.ZoneInfo) -> str:
    if value is None:
        return ""
    local = value.astimezone(tz)
    return f"{local:%H:%M} {local.tzname()}"


def local_datetime(value: datetime | None, tz: zoneinfo.ZoneInfo) -> str:
    if value is None:
        return ""
    local = value.astimezone(tz)
    return f"{local:%a %d %b} {local:%H:%M} {local.tzname()}"


def _minutes_words(minutes: int) -> str:
    # Up to 90 minutes reads faster as minutes ("in 60 min") than as "1 h 30 min".
    if minutes <= 90:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def relative(due: datetime, now: datetime) -> str:
    """ "in 60 min", "in 2 h 5 min", "now", "overdue by 12 min"."""
    minutes = round((due - now).total_seconds() / 60)
    if minutes == 0:
        return "now"
    if minutes > 0:
        return f"in {_minutes_words(minutes)}"
    return f"overdue by {_minutes_words(-minutes)}"


def next_due_text(due: datetime | None, tz: zoneinfo.ZoneInfo, now: datetime) -> str:
    """ "Next check due 14:30 GMT (in 60 min)"."""
    if due is None:
        return "No next check scheduled."
    when = local_time(due, tz)
    if due.astimezone(tz).date() != now.astimezone(tz).date():
        when = local_datetime(due, tz)
    return f"Next check due {when} ({relative(due, now)})"
