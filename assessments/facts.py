"""Adapters between stored rows and the pure domain code: unit rules, assessment facts."""

from __future__ import annotations

from assessments.models import Assessment, UnitIntervalRules
from clinical import reassessment as schedule
from clinical.risk import AssessmentFacts, Flag, Level
from patients.models import Unit


def rules_for_unit(unit: Unit) -> UnitIntervalRules:
    """The unit's interval rules, created with the ciwa-b.md facility defaults on first use.

    Callers should have joined ``unit__interval_rules`` so the common case costs no query.
    """
    try:
        return unit.interval_rules
    except UnitIntervalRules.DoesNotExist:
        # ON CONFLICT DO NOTHING: two first saves on a new unit must not fail each other.
        UnitIntervalRules.objects.bulk_create([UnitIntervalRules(unit=unit)], ignore_conflicts=True)
        rules = UnitIntervalRules.objects.get(unit=unit)
        unit.interval_rules = rules
        return rules


def interval_rules(rules: UnitIntervalRules) -> schedule.IntervalRules:
    return schedule.IntervalRules(
        none_mild=rules.none_mild_minutes,
        moderate=rules.moderate_minutes,
        severe=rules.severe_minutes,
        unable_or_critical=rules.unable_or_critical_minutes,
    )


def facts_of(assessment: Assessment) -> AssessmentFacts:
    return AssessmentFacts(
        total=assessment.total,
        band=assessment.band or None,
        items=tuple(assessment.items) if assessment.items is not None else None,
        sedation_level=assessment.sedation_level,
        seizure=assessment.seizure,
        hallucinations=assessment.hallucinations,
        confusion=assessment.confusion,
        suicidal_thoughts=assessment.suicidal_thoughts,
        unable_reason=assessment.unable_reason or None,
    )


def stored_flags(assessment: Assessment) -> tuple[Flag, ...]:
    return tuple(
        Flag(f["code"], Level(f["level"]), f["reason"], f["source"]) for f in assessment.flags
    )
