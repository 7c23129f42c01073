"""Roles of the architecture's role table, as Django groups with model permissions.

The ``User.role`` field is what access checks read (one indexed column, no join per request);
the groups carry the matching Django permissions so the admin site and any permission-based
code agree with it. ``user_set_role`` keeps both in step.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class Role(models.TextChoices):
    NURSE = "nurse", "Nurse"
    PHYSICIAN = "physician", "Physician"
    ADMIN = "admin", "Admin"


CLINICAL_ROLES = frozenset({Role.NURSE, Role.PHYSICIAN})

# (app_label, model) -> actions, per role. Nurses enter assessments and dose records;
# physicians also build, sign and amend plans; admins manage users, units and beds and read
# the audit log but make no clinical entries.
_NURSE_PERMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("patients", "patient"): ("view", "add", "change"),
    ("patients", "admission"): ("view", "add", "change"),
    ("patients", "substanceuse"): ("view", "add", "change"),
    ("patients", "unit"): ("view",),
    ("patients", "bed"): ("view",),
    ("assessments", "assessment"): ("view", "add"),
    ("tapering", "taperplan"): ("view",),
    ("tapering", "doseadministration"): ("view", "add"),
}
_PHYSICIAN_PERMS: dict[tuple[str, str], tuple[str, ...]] = {
    **_NURSE_PERMS,
    ("tapering", "taperplan"): ("view", "add", "change"),
}
_ADMIN_PERMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("core", "user"): ("view", "add", "change"),
    ("core", "auditevent"): ("view",),
    ("patients", "unit"): ("view", "add", "change"),
    ("patients", "bed"): ("view", "add", "change"),
    # Each unit's CIWA-B reassessment intervals (Administration > Unit interval rules).
    ("assessments", "unitintervalrules"): ("view", "add", "change"),
    # Security: unlock locked-out logins (delete attempts), reset a lost second factor,
    # review emergency access.
    ("axes", "accessattempt"): ("view", "delete"),
    ("axes", "accessfailurelog"): ("view",),
    ("otp_totp", "totpdevice"): ("view", "delete"),
    ("otp_static", "staticdevice"): ("view", "delete"),
    ("patients", "emergencyaccess"): ("view",),
}
ROLE_PERMISSIONS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    Role.NURSE: _NURSE_PERMS,
    Role.PHYSICIAN: _PHYSICIAN_PERMS,
    Role.ADMIN: _ADMIN_PERMS,
}


def ensure_role_groups(*args: Any, **kwargs: Any) -> None:
    """Create or refresh the three role groups with their permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    for role, spec in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for (app_label, model), actions in spec.items():
            codenames = [f"{action}_{model}" for action in actions]
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )
        group.permissions.set(wanted)


def user_set_role(user: Any, role: str) -> None:
    """Give ``user`` exactly one role: the field, the group and staff access for admins."""
    from django.contrib.auth.models import Group

    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; expected one of {Role.values}.")
    ensure_role_groups()
    user.role = role
    # Only admins reach the admin site (AdminSite.has_permission checks is_staff).
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff"])
    user.groups.set([Group.objects.get(name=role)])
