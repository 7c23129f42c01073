"""Admins set who is on call, who is charge nurse, and the escalation chain, per unit.

The admin role's Django permissions are managed by core.roles (not this app's to edit), so
these model admins grant access by role directly. Every change is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q

from cnt_detox.core import audit
from cnt_detox.core.admin_scope import (
    ScopedAdmin,
    ScopedInline,
    ScopedMixin,
    admin_unit_ids,
    is_server_superuser,
    users_of_admin,
)
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.roles import Role
from notifications.models import EscalationChainMember, Notification, UnitOnCall

ROSTER_FIELDS = ("on_call_physician_id", "charge_nurse_id")


class AdminRoleAccess:
    def _is_admin(self, request: Any) -> bool:
        user = request.user
        return bool(user.is_active and (user.role == Role.ADMIN or user.is_superuser))

    def has_module_permission(self, request: Any) -> bool:
        return self._is_admin(request)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return self._is_admin(request)

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return self._is_admin(request)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return self._is_admin(request)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ChainInline(AdminRoleAccess, ScopedInline):
    model = EscalationChainMember
    fk_name = "unit"
    extra = 1
    autocomplete_fields = ()

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # Chain rows are configuration, not clinical records: admins may remove them.
        return self._is_admin(request)


@admin.register(UnitOnCall)
class UnitOnCallAdmin(AdminRoleAccess, ScopedMixin, admin.ModelAdmin):
    """Scoped to the admin's units; audited below as notifications.roster_* (old and new)."""

    list_display = ("unit", "on_call_physician", "charge_nurse", "updated_at")
    list_select_related = ("unit", "on_call_physician", "charge_nurse")

    def save_model(self, request: Any, obj: UnitOnCall, form: Any, change: bool) -> None:
        before = {name: form.initial.get(name.removesuffix("_id")) for name in ROSTER_FIELDS}
        super().save_model(request, obj, form, change)
        after = audit.snapshot(obj, ROSTER_FIELDS)
        audit.record(
            actor=request.user,
            action=AuditAction.ROSTER_CHANGED if change else AuditAction.ROSTER_CREATED,
            obj=obj,
            changes=audit.diff(before, after),
            client=Client.from_request(request),
        )


@admin.register(EscalationChainMember)
class EscalationChainMemberAdmin(AdminRoleAccess, ScopedAdmin):
    list_display = ("unit", "position", "user")
    list_select_related = ("unit", "user")
    ordering = ("unit", "position")

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return self._is_admin(request)


@admin.register(Notification)
class NotificationAdmin(AdminRoleAccess, ScopedAdmin):
    """Read-only view of delivery state, for troubleshooting (no patient names listed):
    notifications about the admin's units' admissions or to their units' users."""

    unit_path = "admission__unit"

    def scope(self, request: Any, queryset: Any) -> Any:
        if is_server_superuser(request):
            return queryset
        return queryset.filter(
            Q(admission__unit__in=admin_unit_ids(request))
            | Q(recipient__in=users_of_admin(request).values("pk"))
        )

    list_display = ("kind", "due_at", "recipient", "status", "attempts", "delivered_at")
    list_filter = ("kind", "status")
    list_select_related = ("recipient",)
    exclude = ("admission",)
    readonly_fields = [f.name for f in Notification._meta.fields if f.name != "admission"]

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
