"""Navigation by role. Entries whose URL name is not installed are skipped."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from cnt_detox.core.roles import Role

N, P, A = Role.NURSE, Role.PHYSICIAN, Role.ADMIN

# (label, url name, roles)
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("Unit board", "reports:board", (N, P)),
    ("Patients", "patients:list", (N, P)),
    ("Admit", "patients:admit", (N, P)),
    ("Taper builder", "tapering:builder", (P,)),
    ("Notifications", "notifications:list", (N, P)),
    ("Follow-ups", "aftercare:follow_ups", (N, P)),
    ("Reports", "reports:index", (A,)),
    ("Audit log", "core:audit", (A,)),
    ("Emergency access", "core:emergency", (N, P)),
    ("Emergency review", "core:emergency-review", (A,)),
    ("Administration", "admin:index", (A,)),
    ("API docs", "api-docs", (N, P, A)),
    ("Account", "core:account", (N, P, A)),
]


def nav_for(user: Any) -> list[dict[str, str]]:
    items = []
    for label, name, roles in NAV:
        if user.role not in roles:
            continue
        try:
            items.append({"label": label, "url": reverse(name)})
        except NoReverseMatch:
            continue
    return items
