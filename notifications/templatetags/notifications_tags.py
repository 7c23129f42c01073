from __future__ import annotations

from typing import Any

from django import template

from notifications.selectors import escalation_steps
from notifications.wording import local_time

register = template.Library()


@register.simple_tag
def escalation_steps_for(admission: Any) -> list[dict[str, Any]]:
    return escalation_steps(admission)


@register.filter
def unit_time(value: Any, unit: Any) -> str:
    """``14:30 BST`` in the unit's zone; empty for no value."""
    return local_time(value, unit) if value else ""
