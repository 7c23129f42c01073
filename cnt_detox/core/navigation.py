"""Navigation by role: the entries every app registered (cnt_detox.core.registry)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from cnt_detox.core import registry


def nav_for(user: Any) -> list[dict[str, str]]:
    return [
        {"label": entry.label, "url": reverse(entry.url_name)}
        for entry in registry.nav_entries()
        if user.role in entry.roles
    ]
