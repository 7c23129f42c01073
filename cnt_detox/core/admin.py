"""Admin site models of core: audit rows, two-factor devices and lockouts, all read or changed
only within the admin's units (cnt_detox.core.admin_scope).

Users and emergency grants are in patients/admin.py: a user's units are the patients app's
relation (``Unit.members``), which core may not import (issue 17)."""

from typing import Any

from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.admin import AccessFailureLogAdmin as BaseAccessFailureLogAdmin
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin as BaseStaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as BaseTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from cnt_detox.core.admin_scope import AuditedMixin, is_server_superuser, users_of_admin
from cnt_detox.core.audit import Client
from cnt_detox.core.models import AuditEvent
from cnt_detox.core.selectors import audit_scope
from cnt_detox.core.services import second_factor_remove


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only and scoped like the audit page: audit rows are append-only."""

    list_display = ("occurred_at", "actor_username", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("actor_username", "object_id")

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).filter(audit_scope(request.user))

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class DeviceResetMixin:
    """Devices of the admin's units' users only; deleting one resets the user's two-factor
    login through the service (all devices, API tokens ended, audited)."""

    def get_queryset(self, request: Any) -> Any:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if is_server_superuser(request):
            return queryset
        return queryset.filter(user__in=users_of_admin(request).values("pk"))

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: Any, obj: Any) -> None:
        second_factor_remove(user=obj.user, actor=request.user, client=Client.from_request(request))

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for user in {device.user for device in queryset.select_related("user")}:
            second_factor_remove(user=user, actor=request.user, client=Client.from_request(request))


admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(DeviceResetMixin, BaseTOTPDeviceAdmin):
    pass


@admin.register(StaticDevice)
class StaticDeviceAdmin(DeviceResetMixin, BaseStaticDeviceAdmin):
    inlines: list[Any] = []


class LockoutScopeMixin:
    """Lockouts (django-axes) of the admin's units' users only: another unit's usernames and
    failed logins are not theirs to read or clear. Clearing one (unlock) is audited."""

    def get_queryset(self, request: Any) -> Any:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if is_server_superuser(request):
            return queryset
        return queryset.filter(username__in=users_of_admin(request).values("username"))


for _model in (AccessAttempt, AccessFailureLog):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(LockoutScopeMixin, AuditedMixin, BaseAccessAttemptAdmin):
    pass


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(LockoutScopeMixin, BaseAccessFailureLogAdmin):
    pass
