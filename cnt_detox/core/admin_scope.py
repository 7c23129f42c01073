"""The admin site within an admin's units, and every change audited (issue 18.2).

Every ModelAdmin of the project builds on ``ScopedAdmin``:

- ``unit_path`` names the lookup from the model to its unit ("unit", "admission__unit",
  "units" for users, "pk" for the unit itself). An admin (not a server superuser) sees and
  edits only rows of their own units; other rows are "not found".
- Foreign keys and many-to-many choices offer only the admin's units and their units' users,
  so a POST cannot attach another unit's unit or user even when crafted by hand.
- Each save, inline row and delete leaves an audit event ``admin.<model>.<create|change|
  delete>`` with old and new values of the changed fields, in the admin's transaction.

Superusers come from ``createsuperuser`` on the server only and keep the whole site.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms.models import model_to_dict

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import admin_action
from cnt_detox.core.models import User

# Never written to the audit row: secrets, and hashes that would outlive a password change.
UNAUDITED_FIELDS = frozenset({"password", "password1", "password2", "key", "usable_password"})


def is_server_superuser(request: Any) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


def admin_unit_ids(request: Any) -> QuerySet[Any]:
    """Pks of the requesting admin's units (a subquery)."""
    return request.user.units.values("pk")


def unit_model() -> Any:
    # patients.Unit, found through the reverse side of its ``members`` (``user.units``): core
    # may not import the patients app.
    return User._meta.get_field("units").related_model


def units_of_admin(request: Any) -> QuerySet[Any]:
    if is_server_superuser(request):
        return unit_model().objects.all()
    return unit_model().objects.filter(pk__in=admin_unit_ids(request))


def users_of_admin(request: Any) -> QuerySet[User]:
    """Users the admin manages: members of the admin's units; never a server superuser."""
    if is_server_superuser(request):
        return User.objects.all()
    return User.objects.filter(units__in=admin_unit_ids(request), is_superuser=False).distinct()


def _value(value: Any) -> Any:
    """JSON-safe and readable: a related row as its name (unit, username), lists sorted."""
    if isinstance(value, QuerySet):
        value = list(value)
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _value(v) for k, v in value.items() if k not in UNAUDITED_FIELDS}
    if isinstance(value, list | tuple | set):
        return sorted(str(_value(v)) for v in value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def form_changes(form: Any) -> dict[str, dict[str, Any]]:
    """Old and new values of the fields this form changed (secrets left out)."""
    changes: dict[str, dict[str, Any]] = {}
    for name in form.changed_data:
        if name in UNAUDITED_FIELDS:
            continue
        old = _value(form.initial.get(name))
        new = _value(form.cleaned_data.get(name))
        if old != new:
            changes[name] = {"old": old, "new": new}
    return changes


def record_change(request: Any, obj: Any, verb: str, changes: dict[str, Any]) -> None:
    audit.record(
        actor=request.user,
        action=admin_action(obj._meta.model_name, verb),
        obj=obj,
        client=Client.from_request(request),
        changes=changes,
        details={"object": str(obj)[:200]},
    )


class UnitsOfAdminFilter(admin.SimpleListFilter):
    """A "unit" filter that lists only the admin's units (the stock one lists them all)."""

    title = "unit"
    parameter_name = "unit"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(u.pk), u.name) for u in units_of_admin(request).order_by("name")]

    def queryset(self, request: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        path = getattr(self, "unit_path", "unit")
        return queryset.filter(**{f"{path}__pk": int(value)}).distinct()


class ScopedMixin:
    """Rows, choices and permissions limited to the admin's units (see module docstring)."""

    unit_path = "unit"

    def scope(self, request: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if is_server_superuser(request):
            return queryset
        if self.unit_path == "pk":
            return queryset.filter(pk__in=admin_unit_ids(request))
        return queryset.filter(**{f"{self.unit_path}__in": admin_unit_ids(request)}).distinct()

    def get_queryset(self, request: Any) -> QuerySet[Any]:
        return self.scope(request, super().get_queryset(request))  # type: ignore[misc]

    def _limited(self, request: Any, model: Any, queryset: QuerySet[Any] | None) -> Any:
        if model is unit_model():
            return units_of_admin(request)
        if model is User:
            users = users_of_admin(request)
            return users.filter(pk__in=queryset.values("pk")) if queryset is not None else users
        return queryset

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        if field is not None and db_field.related_model in (unit_model(), User):
            field.queryset = self._limited(request, db_field.related_model, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
        if field is not None and db_field.related_model in (unit_model(), User):
            field.queryset = self._limited(request, db_field.related_model, field.queryset)
        return field


class AuditedMixin:
    """Every save, inline row and delete through this admin leaves an audit event."""

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        self.after_save(request, form, change)
        changes = form_changes(form)
        if changes or not change:
            record_change(request, form.instance, "changed" if change else "created", changes)
        self.after_audit(request, form, changes)

    def after_save(self, request: Any, form: Any, change: bool) -> None:
        """Hook: fix up related rows before the change is audited."""

    def after_audit(self, request: Any, form: Any, changes: dict[str, Any]) -> None:
        """Hook: follow-up events for particular changes."""

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for row in formset.forms:
            if row.instance.pk is None or row in getattr(formset, "deleted_forms", []):
                continue
            if not row.has_changed():
                continue
            created = row.instance in getattr(formset, "new_objects", [])
            record_change(
                request, row.instance, "created" if created else "changed", form_changes(row)
            )
        for obj in getattr(formset, "deleted_objects", []):
            record_change(request, obj, "deleted", {"deleted": {"old": _value(model_to_dict(obj))}})

    def delete_model(self, request: Any, obj: Any) -> None:
        record_change(request, obj, "deleted", {"deleted": {"old": _value(model_to_dict(obj))}})
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: Any, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class ScopedAdmin(ScopedMixin, AuditedMixin, admin.ModelAdmin):
    pass


class ScopedInline(ScopedMixin, admin.TabularInline):
    """Inline rows: choices limited like the parent; audited by the parent's save_formset."""
