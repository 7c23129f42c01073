"""Units and their beds in the admin site: an admin sees and edits only their own units
(cnt_detox.core.admin_scope); every change is audited with old and new values."""

from typing import Any

from django.contrib import admin

from cnt_detox.core.admin_scope import ScopedAdmin, ScopedInline, is_server_superuser
from patients.models import Bed, Unit


class BedInline(ScopedInline):
    model = Bed
    extra = 0
    can_delete = False


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    unit_path = "pk"
    list_display = ("name", "time_zone")
    inlines = [BedInline]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # units hold clinical history

    def save_model(self, request: Any, obj: Unit, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and not is_server_superuser(request):
            # The admin who creates a unit runs it; otherwise it would vanish from their list.
            request.user.units.add(obj)
