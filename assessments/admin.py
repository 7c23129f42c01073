from django.contrib import admin

from assessments.models import UnitIntervalRules


@admin.register(UnitIntervalRules)
class UnitIntervalRulesAdmin(admin.ModelAdmin):
    """Admins edit each unit's intervals. These are facility defaults (ciwa-b.md), not
    published CIWA-B thresholds; the clinical lead must confirm them."""

    list_display = (
        "unit",
        "none_mild_minutes",
        "moderate_minutes",
        "severe_minutes",
        "unable_or_critical_minutes",
        "rise_threshold",
    )

    def has_delete_permission(self, request, obj=None):
        return False
