"""Admin site models of core: users (scoped to the admin's units), audit rows, emergency
grants and two-factor devices, all read or changed only within the admin's units
(cnt_detox.core.admin_scope)."""

from typing import Any

from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.admin import AccessFailureLogAdmin as BaseAccessFailureLogAdmin
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin as BaseStaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as BaseTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from cnt_detox.core import audit
from cnt_detox.core.admin_scope import (
    AuditedMixin,
    ScopedMixin,
    UnitsOfAdminFilter,
    admin_unit_ids,
    is_server_superuser,
    users_of_admin,
)
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.emergency import grants_for_admin
from cnt_detox.core.models import AuditEvent, EmergencyAccess, User
from cnt_detox.core.roles import Role, user_set_role
from cnt_detox.core.selectors import audit_scope
from cnt_detox.core.services import api_tokens_revoke, second_factor_remove


class UserUnitsFilter(UnitsOfAdminFilter):
    unit_path = "units"


@admin.register(User)
class UserAdmin(ScopedMixin, AuditedMixin, BaseUserAdmin):
    """Users of the admin's units. An admin (not a server superuser) cannot set superuser or
    staff status, groups or permissions (staff follows the role), assigns only their own
    units (others the user has are kept), and cannot change their own role, units or active
    status. Granting the admin role is audited as ``admin.role_granted`` and listed on the
    audit page."""

    unit_path = "units"
    list_display = (
        "username",
        "first_name",
        "last_name",
        "role",
        "is_addiction_specialist",
        "is_active",
    )
    list_filter = ("role", "is_active", UserUnitsFilter)
    filter_horizontal = ("units",)
    admin_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Clinical access", {"fields": ("is_active", "role", "units", "is_addiction_specialist")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    superuser_fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Clinical access", {"fields": ("role", "units", "is_addiction_specialist")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "usable_password",
                    "password1",
                    "password2",
                    "first_name",
                    "last_name",
                    "role",
                    "units",
                ),
            },
        ),
    )

    def scope(self, request: Any, queryset: Any) -> Any:
        if is_server_superuser(request):
            return queryset
        return queryset.filter(pk__in=users_of_admin(request).values("pk"))

    def get_fieldsets(self, request: Any, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        return self.superuser_fieldsets if is_server_superuser(request) else self.admin_fieldsets

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        fields = ["last_login", "date_joined"]
        if obj is not None and obj.pk == request.user.pk and not is_server_superuser(request):
            fields += ["role", "units", "is_active"]
        return fields

    def get_form(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if is_server_superuser(request):
            return form
        if obj is None and "units" in form.base_fields:
            # A new user belongs to at least one of the admin's units, or the admin could
            # not find them again (and nobody else would own them).
            form.base_fields["units"].required = True
        if obj is None:
            return form
        elsewhere = obj.units.exclude(pk__in=admin_unit_ids(request)).exists()

        class RoleWithinUnits(form):  # type: ignore[misc, valid-type]
            def clean(self) -> Any:
                data = super().clean()
                # A role is global: changing it for someone who also works on units this
                # admin does not run would change what they may do there (e.g. make them
                # that unit's admin).
                if elsewhere and "role" in self.changed_data:
                    self.add_error(
                        "role",
                        "This user also works on units you do not run; an admin of all their "
                        "units, or the server superuser, must change their role.",
                    )
                return data

        return RoleWithinUnits

    def save_model(self, request: Any, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.role:
            user_set_role(obj, obj.role)

    def after_save(self, request: Any, form: Any, change: bool) -> None:
        if is_server_superuser(request) or "units" not in form.cleaned_data:
            return
        mine = set(admin_unit_ids(request).values_list("pk", flat=True))
        kept = [u for u in form.initial.get("units") or [] if u.pk not in mine]
        if kept:
            # Units outside this admin's reach stay as they were (another admin's to change).
            form.instance.units.add(*kept)
            form.cleaned_data["units"] = [*form.cleaned_data["units"], *kept]

    def after_audit(self, request: Any, form: Any, changes: dict[str, Any]) -> None:
        user = form.instance
        client = Client.from_request(request)
        role = changes.get("role")
        if role and role["new"] == Role.ADMIN:
            audit.record(
                actor=request.user,
                action=AuditAction.ROLE_GRANTED,
                obj=user,
                client=client,
                changes={"role": role},
                details={"username": user.username},
            )
        active = changes.get("is_active")
        if active and active["new"] is False:
            api_tokens_revoke(
                user=user,
                reason="deactivated",
                actor=request.user,
                client=client,
            )

    def user_change_password(self, request: Any, id: str, form_url: str = "") -> Any:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            client = Client.from_request(request)
            if user is not None:
                audit.record(
                    actor=request.user,
                    action=AuditAction.USER_PASSWORD_SET,
                    obj=user,
                    client=client,
                )
                api_tokens_revoke(
                    user=user,
                    reason="password_changed",
                    actor=request.user,
                    client=client,
                )
        return response


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


@admin.register(EmergencyAccess)
class EmergencyAccessAdmin(admin.ModelAdmin):
    """Read-only list of the grants the admin reviews; review on the emergency review page."""

    list_display = ("granted_at", "user", "admission", "expires_at", "reviewed_at", "reviewed_by")
    list_filter = ("reviewed_at",)
    search_fields = ("user__username", "reason")
    readonly_fields = [f.name for f in EmergencyAccess._meta.fields]

    def get_queryset(self, request: Any) -> Any:
        if is_server_superuser(request):
            return super().get_queryset(request)
        return grants_for_admin(request.user)

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
