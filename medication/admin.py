from typing import Any

from django.contrib import admin

from cnt_detox.core.admin_scope import AuditedMixin
from cnt_detox.core.roles import Role
from medication.models import FormularyItem


@admin.register(FormularyItem)
class FormularyItemAdmin(AuditedMixin, admin.ModelAdmin):
    """The facility's formulary (not per unit); every change audited with old and new values."""

    list_display = ("name", "agent", "form", "is_benzodiazepine", "sedating", "active")
    list_filter = ("is_benzodiazepine", "sedating", "active")
    search_fields = ("name", "agent")

    def _is_admin(self, request: Any) -> bool:
        user = request.user
        return bool(user.is_active and (user.role == Role.ADMIN or user.is_superuser))

    def has_module_permission(self, request: Any) -> bool:
        return self._is_admin(request)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return self._is_admin(request)

    def has_add_permission(self, request: Any) -> bool:
        return self._is_admin(request)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return self._is_admin(request)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # Orders refer to formulary entries; untick "active" instead.
        return False
