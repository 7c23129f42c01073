from typing import Any

from django.contrib import admin

from cnt_detox.core.roles import Role


def _admins_only(request: Any) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and (user.role == Role.ADMIN or user.is_superuser))


def restrict_admin_site() -> None:
    """The admin site is for the admin role only; nurses and physicians never reach it."""
    admin.site.has_permission = _admins_only  # type: ignore[method-assign]
    admin.site.site_header = "CNT Detox administration"
    admin.site.site_title = "CNT Detox admin"
