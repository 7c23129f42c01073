"""Units and their beds, users and emergency grants in the admin site: an admin sees and edits
only their own units and their units' users (cnt_detox.core.admin_scope); every change is
audited with old and new values.

The user admin lives here, not in core, because a user's units are this app's relation
(``Unit.members``, ``user.units`` from the user's side; issue 17), which core may not import.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.db.models import QuerySet

from cnt_detox.core import audit
from cnt_detox.core.admin_scope import (
    AuditedMixin,
    ScopedAdmin,
    ScopedInline,
    ScopedMixin,
    UnitsOfAdminFilter,
    admin_unit_ids,
    is_server_superuser,
    units_of_admin,
    users_of_admin,
)
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from cnt_detox.core.roles import Role, user_set_role
from cnt_detox.core.services import api_tokens_revoke
from patients.emergency import grants_for_admin
from patients.models import Bed, EmergencyAccess, Unit


class BedInline(ScopedInline):
    model = Bed
    extra = 0
    can_delete = False


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    unit_path = "pk"
    list_display = ("name", "time_zone")
    # Who works on a unit is set on the user's page (UserAdmin: units kept outside the admin's
    # reach, the role rule), not here, where those rules would not hold.
    exclude = ("members",)
    inlines = [BedInline]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # units hold clinical history

    def save_model(self, request: Any, obj: Unit, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and not is_server_superuser(request):
            # The admin who creates a unit runs it; otherwise it would vanish from their list.
            request.user.units.add(obj)


class UnitsFormMixin(forms.Form):
    """A user's units on the user admin's forms.

    ``user.units`` is the reverse side of ``Unit.members``, which a model form does not offer,
    so the field is declared here, filled from the user and saved with the form's other
    many-to-many data. UserAdmin.get_form narrows the choices to the admin's units through
    ``units_queryset`` (set per request on the form class, never on the shared field).
    """

    units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.all(),
        required=False,
        widget=FilteredSelectMultiple("units", is_stacked=False),
    )
    units_queryset: QuerySet[Unit] | None = None
    units_required = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "units" in self.fields and self.units_queryset is not None:
            self.fields["units"].queryset = self.units_queryset  # type: ignore[attr-defined]
            self.fields["units"].required = self.units_required
        instance = getattr(self, "instance", None)
        if "units" in self.fields and instance is not None and instance.pk is not None:
            # Initial as model objects, as model_to_dict gives a forward relation: the audit
            # (form_changes) and UserAdmin.after_save read them.
            self.initial.setdefault("units", list(instance.units.all()))

    def _save_m2m(self) -> None:
        super()._save_m2m()  # type: ignore[misc]
        # Absent when read-only (an admin's own units): then nothing is to change.
        if "units" in self.fields:
            self.instance.units.set(self.cleaned_data["units"])  # type: ignore[attr-defined]


class UserChangeForm(UnitsFormMixin, BaseUserChangeForm):  # type: ignore[misc]
    pass


class UserCreationForm(UnitsFormMixin, AdminUserCreationForm):  # type: ignore[misc]
    pass


def _own_units(field: str) -> str:
    return "unit_names" if field == "units" else field


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
    form = UserChangeForm
    add_form = UserCreationForm
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
        if is_server_superuser(request):
            return self.superuser_fieldsets
        if self._is_own(request, obj):
            # The admin's own units are shown by name: the admin site cannot display the
            # reverse side of Unit.members as a read-only field.
            return [
                (name, {**opts, "fields": tuple(_own_units(f) for f in opts["fields"])})
                for name, opts in self.admin_fieldsets
            ]
        return self.admin_fieldsets

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        fields = ["last_login", "date_joined"]
        if self._is_own(request, obj):
            # "units" here drops the form's field, so the save leaves their units alone.
            fields += ["role", "units", "unit_names", "is_active"]
        return fields

    @staticmethod
    def _is_own(request: Any, obj: Any) -> bool:
        return obj is not None and obj.pk == request.user.pk and not is_server_superuser(request)

    @admin.display(description="units")
    def unit_names(self, obj: User) -> str:
        return ", ".join(unit.name for unit in obj.units.order_by("name")) or "-"

    def get_form(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if is_server_superuser(request):
            return form
        elsewhere = obj is not None and obj.units.exclude(pk__in=admin_unit_ids(request)).exists()

        class ScopedUserForm(form):  # type: ignore[misc, valid-type]
            # Only the admin's units are offered, so a POST cannot add another admin's unit.
            units_queryset = units_of_admin(request)
            # A new user belongs to at least one of the admin's units, or the admin could
            # not find them again (and nobody else would own them).
            units_required = obj is None

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

        return ScopedUserForm

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
            api_tokens_revoke(user=user, reason="deactivated", actor=request.user, client=client)

    def user_change_password(self, request: Any, id: str, form_url: str = "") -> Any:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            if user is not None:
                client = Client.from_request(request)
                audit.record(
                    actor=request.user,
                    action=AuditAction.USER_PASSWORD_SET,
                    obj=user,
                    client=client,
                )
                api_tokens_revoke(
                    user=user, reason="password_changed", actor=request.user, client=client
                )
        return response


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
