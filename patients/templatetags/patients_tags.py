"""Template helpers of the intake pages: unit-local times with the zone, optional links."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.filter
def unit_time(value: dt.datetime | None, unit: Any) -> str:
    """``17 May 2025 14:30 BST``: stored UTC shown on the unit's clock, with the zone name."""
    if not value:
        return "—"
    local = value.astimezone(unit.tz)
    return f"{local:%d %b %Y %H:%M} {local.tzname()}"


@register.simple_tag
def optional_url(name: str, public_id: Any) -> str:
    """The URL of a page another feature provides, or "" while it is not installed.

    Tried in order: ``name`` with the admission id as the only positional argument, as the
    ``admission_id`` or ``public_id`` keyword, then with no argument and ``?admission=<id>``.
    """
    for args, kwargs in (
        ([public_id], {}),
        ([], {"admission_id": public_id}),
        ([], {"public_id": public_id}),
    ):
        try:
            return reverse(name, args=args, kwargs=kwargs)
        except NoReverseMatch:
            continue
    try:
        return f"{reverse(name)}?admission={public_id}"
    except NoReverseMatch:
        return ""


@register.filter
def level_icon_word(level: str) -> str:
    return {"critical": "Critical", "high": "High", "elevated": "Elevated"}.get(level, level)


@register.filter
def by_severity(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Critical first, then high, then elevated; the stored order within a level."""
    rank = {"critical": 0, "high": 1, "elevated": 2}
    return sorted(flags or [], key=lambda f: rank.get(f.get("level", ""), 9))


@register.filter
def highest_level(flags: list[dict[str, Any]]) -> str:
    for level in ("critical", "high", "elevated"):
        if any(f.get("level") == level for f in flags or []):
            return level
    return ""
