from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from cnt_detox.core.models import AuditEvent, EmergencyAccess, User
from cnt_detox.core.roles import user_set_role


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "first_name",
        "last_name",
        "role",
        "is_addiction_specialist",
        "is_active",
    )
    list_filter = ("role", "is_active", "units")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Clinical access", {"fields": ("role", "units", "is_addiction_specialist")}),
    )
    filter_horizontal = ("units", "groups", "user_permissions")

    def save_model(self, request: Any, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.role:
            user_set_role(obj, obj.role)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: audit rows are append-only."""

    list_display = ("occurred_at", "actor_username", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("actor_username", "object_id", "patient_public_id")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(EmergencyAccess)
class EmergencyAccessAdmin(admin.ModelAdmin):
    """Read-only list; admins review grants on the emergency review page."""

    list_display = ("granted_at", "user", "admission", "expires_at", "reviewed_at", "reviewed_by")
    list_filter = ("reviewed_at",)
    search_fields = ("user__username", "reason")
    readonly_fields = [f.name for f in EmergencyAccess._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
