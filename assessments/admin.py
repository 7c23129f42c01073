from django.contrib import admin

from assessments.models import UnitIntervalRules
from cnt_detox.core.admin_scope import ScopedAdmin


@admin.register(UnitIntervalRules)
class UnitIntervalRulesAdmin(ScopedAdmin):
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

    fieldsets = (
        (
            None,
            {
                "fields": (
                    "unit",
                    "none_mild_minutes",
                    "moderate_minutes",
                    "severe_minutes",
                    "unable_or_critical_minutes",
                    "rise_threshold",
                ),
                "description": (
                    "Defaults (ciwa-b.md facility defaults): none/mild 240 min, moderate 120, "
                    "severe or very severe 60, unable to assess or any critical flag 60; "
                    "CIWA-B rise of 10 notifies the physician. These are NOT published CIWA-B "
                    "thresholds: no published CIWA-B interval exists. The facility's clinical "
                    "lead must confirm them. A unit without a row uses the defaults; the row is "
                    "created on the unit's first assessment."
                ),
            },
        ),
    )

    def has_delete_permission(self, request, obj=None):
        return False
