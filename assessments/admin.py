from typing import Any

from django.contrib import admin

from assessments.models import UnitIntervalRules
from clinical.reassessment import IntervalRules
from clinical.risk import DEFAULT_RISE_THRESHOLD
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from patients.models import Unit

RULE_FIELDS = (
    "unit_id",
    "none_mild_minutes",
    "moderate_minutes",
    "severe_minutes",
    "unable_or_critical_minutes",
    "rise_threshold",
)


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
                    "Defaults (ciwa-b.md facility defaults): none/mild "
                    f"{IntervalRules.none_mild} min, moderate {IntervalRules.moderate}, "
                    f"severe or very severe {IntervalRules.severe}, unable to assess or any "
                    f"critical flag {IntervalRules.unable_or_critical}; CIWA-B rise of "
                    f"{DEFAULT_RISE_THRESHOLD} notifies the physician. These are NOT published "
                    "CIWA-B thresholds: no published CIWA-B interval exists. The facility's "
                    "clinical lead must confirm them. A unit without a row uses the defaults; "
                    "the row is created on the unit's first assessment."
                ),
            },
        ),
    )

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: Any) -> Any:
        # An admin sees and edits the rules of their own units only.
        queryset = super().get_queryset(request).select_related("unit")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(unit__in=request.user.units.all())

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "unit" and not request.user.is_superuser:
            kwargs["queryset"] = Unit.objects.filter(pk__in=request.user.units.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: Any, obj: UnitIntervalRules, form: Any, change: bool) -> None:
        before = (
            audit.snapshot(UnitIntervalRules.objects.get(pk=obj.pk), RULE_FIELDS) if change else {}
        )
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action=AuditAction.INTERVAL_RULES_CHANGED
            if change
            else AuditAction.INTERVAL_RULES_CREATED,
            obj=obj,
            changes=audit.diff(before, audit.snapshot(obj, RULE_FIELDS)),
            client=Client.from_request(request),
        )
