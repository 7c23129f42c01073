"""Formatting of the summary's stored local times (ISO strings with the unit's offset)."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def iso_local(value: str | None) -> str:
    """``2026-12-02T14:30+00:00`` -> ``2 Dec 2026 14:30`` (the unit's clock, as stored)."""
    if not value:
        return "—"
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return f"{when.day} {when:%b %Y %H:%M}"


@register.filter
def iso_day(value: str | dt.date | None) -> str:
    """A date in words: ``Wednesday 2 December 2026``."""
    if not value:
        return "—"
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%A} {day.day} {day:%B %Y}"


@register.filter
def iso_short_day(value: str | dt.date | None) -> str:
    if not value:
        return "—"
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%a} {day.day} {day:%b %Y}"
