"""Template helpers of the intake pages: unit-local times with the zone, registered links."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.urls import reverse

from clinical.risk import LEVEL_LABELS, LEVEL_RANK, LEVELS_BY_SEVERITY
from cnt_detox.core import registry

register = template.Library()


@register.filter
def unit_time(value: dt.datetime | None, unit: Any) -> str:
    """``17 May 2025 14:30 BST``: stored UTC shown on the unit's clock, with the zone name."""
    if not value:
        return "—"
    local = value.astimezone(unit.tz)
    return f"{local:%d %b %Y %H:%M} {local.tzname()}"


@register.simple_tag
def patient_links(slot: str, public_id: Any) -> list[dict[str, Any]]:
    """Buttons other apps registered for this slot of the patient page (core registry)."""
    return [
        {"label": x.label, "url": reverse(x.url_name, args=[public_id]), "primary": x.primary}
        for x in registry.patient_links(slot)
    ]


@register.filter
def level_icon_word(level: str) -> str:
    return LEVEL_LABELS.get(level, level)


@register.filter
def by_severity(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Critical first, then high, then elevated; the stored order within a level."""
    return sorted(flags or [], key=lambda f: LEVEL_RANK.get(f.get("level", ""), 9))


@register.filter
def highest_level(flags: list[dict[str, Any]]) -> str:
    for level in LEVELS_BY_SEVERITY:
        if any(f.get("level") == level for f in flags or []):
            return level.value
    return ""
