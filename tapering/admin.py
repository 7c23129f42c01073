"""Admin: read-only views of plans and dose records (no clinical entry, no deletes).

The admin role makes no clinical entries (architecture role table), and a signed plan is never
changed through any path, so every tapering model is view-only here.
"""

from typing import Any

from django.contrib import admin

from tapering.models import DoseAdministration, PlanSignature, ScheduledDose, TaperPlan


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(TaperPlan)
class TaperPlanAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "admission", "version", "status", "strategy", "start_date")
    list_filter = ("status", "strategy", "target_agent")
    list_select_related = ("admission__patient", "admission__unit", "admission__bed")


@admin.register(PlanSignature)
class PlanSignatureAdmin(ReadOnlyAdmin):
    list_display = ("plan", "printed_name", "role", "signed_at", "digest")


@admin.register(ScheduledDose)
class ScheduledDoseAdmin(ReadOnlyAdmin):
    list_display = ("plan", "date", "time", "mg")


@admin.register(DoseAdministration)
class DoseAdministrationAdmin(ReadOnlyAdmin):
    list_display = ("scheduled_dose", "outcome", "held_reason", "occurred_at", "status")
