"""Admin site: the facility's support groups (admins keep the list); the clinical records are
read-only here (they are written by the services and never deleted)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from aftercare.models import SupportGroup


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "contact", "meetings", "active")
    list_filter = ("active",)
    search_fields = ("name",)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # Plans keep a snapshot of the groups they chose; retire a group with "active" instead.
        return False
