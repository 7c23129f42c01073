"""Tests for risk flags and setting recommendation (shared/domain/risk.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical.risk import (
    AssessmentFacts,
    Flag,
    IntakeFacts,
    Level,
    SubstanceFacts,
    assessment_flags,
    highest_level,
    hold_sedating_doses,
    intake_flags,
    setting_recommendation,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_intake(**overrides: object) -> IntakeFacts:
    base = IntakeFacts(
        total_diazepam_mg=Decimal("10"),
        dose_band="low",
        substances=(SubstanceFacts("diazepam", Decimal("10"), NOW - timedelta(hours=2), False),),
        age_years=40,
        withdrawal_seizures=False,
        epilepsy=False,
        withdrawal_psychosis=False,
        alcohol_dependence=False,
        other_cns_depressants=False,
        hepatic_impairment=False,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def make_assessment(**overrides: object) -> AssessmentFacts:
    base = AssessmentFacts(
        total=5,
        band="mild",
        items=(0,) * 15 + (1,) * 5,
        sedation_level=0,
        seizure=False,
        hallucinations=False,
        confusion=False,
        suicidal_thoughts=False,
        unable_reason=None,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def unable(reason: str) -> AssessmentFacts:
    return make_assessment(total=None, band=None, items=None, unable_reason=reason)


def codes(flags: tuple[Flag, ...]) -> dict[str, Level]:
    return {f.code: f.level for f in flags}


def items_with_15(value: int) -> tuple[int, ...]:
    items = [0] * 20
    items[14] = value
    return tuple(items)


# --- intake flags ---------------------------------------------------------------------------


def test_baseline_intake_raises_nothing() -> None:
    assert intake_flags(make_intake(), as_of=NOW) == ()


@pytest.mark.parametrize("field", ["withdrawal_seizures", "epilepsy"])
def test_history_of_seizures_or_epilepsy_is_high(field: str) -> None:
    flags = codes(intake_flags(make_intake(**{field: True}), as_of=NOW))
    assert flags == {"history_withdrawal_seizures_or_epilepsy": Level.HIGH}


def test_dose_exactly_50_is_not_above_50() -> None:
    flags = codes(intake_flags(make_intake(total_diazepam_mg=Decimal("50")), as_of=NOW))
    assert "dose_above_50" not in flags
    assert flags["dose_above_15"] == Level.ELEVATED


def test_dose_above_50_is_high() -> None:
    flags = codes(intake_flags(make_intake(total_diazepam_mg=Decimal("50.01")), as_of=NOW))
    assert flags["dose_above_50"] == Level.HIGH
    assert flags["dose_above_15"] == Level.ELEVATED


def test_dose_exactly_15_is_not_above_15() -> None:
    flags = codes(intake_flags(make_intake(total_diazepam_mg=Decimal("15")), as_of=NOW))
    assert "dose_above_15" not in flags


def test_dose_above_15_is_elevated() -> None:
    flags = codes(intake_flags(make_intake(total_diazepam_mg=Decimal("15.01")), as_of=NOW))
    assert flags == {"dose_above_15": Level.ELEVATED}


def lorazepam(last: datetime | None) -> SubstanceFacts:
    return SubstanceFacts("lorazepam", Decimal("20"), last, True)


def test_short_acting_last_dose_exactly_24h_not_flagged() -> None:
    intake = make_intake(substances=(lorazepam(NOW - timedelta(hours=24)),))
    assert "short_acting_stopped" not in codes(intake_flags(intake, as_of=NOW))


def test_short_acting_last_dose_over_24h_is_elevated() -> None:
    intake = make_intake(substances=(lorazepam(NOW - timedelta(hours=24, seconds=1)),))
    flag = next(f for f in intake_flags(intake, as_of=NOW) if f.code == "short_acting_stopped")
    assert flag.level == Level.ELEVATED
    assert "lorazepam" in flag.reason
    assert flag.source == "SA Health"


def test_short_acting_unknown_last_dose_not_flagged() -> None:
    intake = make_intake(substances=(lorazepam(None),))
    assert intake_flags(intake, as_of=NOW) == ()


def test_long_acting_stopped_not_short_acting_flag() -> None:
    diazepam = SubstanceFacts("diazepam", Decimal("10"), NOW - timedelta(days=3), False)
    intake = make_intake(substances=(diazepam,))
    assert "short_acting_stopped" not in codes(intake_flags(intake, as_of=NOW))


def test_high_band_abrupt_stop_raises_seizure_high_and_delirium_elevated() -> None:
    diazepam = SubstanceFacts(
        "diazepam", Decimal("30"), NOW - timedelta(hours=24, seconds=1), False
    )
    intake = make_intake(total_diazepam_mg=Decimal("30"), dose_band="high", substances=(diazepam,))
    flags = codes(intake_flags(intake, as_of=NOW))
    assert flags["high_dose_abrupt_stop_seizure"] == Level.HIGH
    assert flags["high_dose_abrupt_stop_delirium"] == Level.ELEVATED


def test_high_band_stop_exactly_24h_not_flagged() -> None:
    diazepam = SubstanceFacts("diazepam", Decimal("30"), NOW - timedelta(hours=24), False)
    intake = make_intake(total_diazepam_mg=Decimal("30"), dose_band="high", substances=(diazepam,))
    flags = codes(intake_flags(intake, as_of=NOW))
    assert "high_dose_abrupt_stop_seizure" not in flags
    assert "high_dose_abrupt_stop_delirium" not in flags


def test_moderate_band_abrupt_stop_not_flagged() -> None:
    diazepam = SubstanceFacts("diazepam", Decimal("12"), NOW - timedelta(days=2), False)
    intake = make_intake(
        total_diazepam_mg=Decimal("12"), dose_band="moderate", substances=(diazepam,)
    )
    assert intake_flags(intake, as_of=NOW) == ()


@pytest.mark.parametrize("field", ["alcohol_dependence", "other_cns_depressants"])
def test_co_use_is_elevated(field: str) -> None:
    flags = codes(intake_flags(make_intake(**{field: True}), as_of=NOW))
    assert flags == {"co_use_cns_depressants": Level.ELEVATED}


def test_co_use_raised_once_for_both() -> None:
    intake = make_intake(alcohol_dependence=True, other_cns_depressants=True)
    flags = intake_flags(intake, as_of=NOW)
    assert [f.code for f in flags] == ["co_use_cns_depressants"]


def test_history_of_withdrawal_psychosis_is_high() -> None:
    flags = codes(intake_flags(make_intake(withdrawal_psychosis=True), as_of=NOW))
    assert flags == {"history_withdrawal_psychosis": Level.HIGH}


@pytest.mark.parametrize(("age", "raised"), [(64, False), (65, True), (90, True), (None, False)])
def test_age_65_plus(age: int | None, raised: bool) -> None:
    flags = codes(intake_flags(make_intake(age_years=age), as_of=NOW))
    assert ("age_65_plus" in flags) is raised
    if raised:
        assert flags["age_65_plus"] == Level.ELEVATED


def test_naive_as_of_rejected() -> None:
    with pytest.raises(ValueError, match="timezone"):
        intake_flags(make_intake(), as_of=datetime(2025, 3, 1, 12, 0))


def test_intake_validation() -> None:
    with pytest.raises(ValueError, match="dose_band"):
        make_intake(dose_band="very high")
    with pytest.raises(TypeError):
        make_intake(total_diazepam_mg=10.0)
    with pytest.raises(ValueError, match="negative"):
        make_intake(total_diazepam_mg=Decimal("-1"))


# --- assessment flags ------------------------------------------------------------------------


def test_calm_assessment_raises_nothing() -> None:
    assert assessment_flags(make_intake(), make_assessment(), None, as_of=NOW) == ()


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("seizure", "seizure_since_last"),
        ("hallucinations", "hallucinations"),
        ("confusion", "confusion"),
        ("suicidal_thoughts", "suicidal_thoughts"),
    ],
)
def test_observations_are_critical(field: str, code: str) -> None:
    current = make_assessment(**{field: True})
    flags = codes(assessment_flags(make_intake(), current, None, as_of=NOW))
    assert flags == {code: Level.CRITICAL}


@pytest.mark.parametrize(
    ("band", "raised"),
    [
        ("none", False),
        ("mild", False),
        ("moderate", False),
        ("severe", True),
        ("very_severe", True),
    ],
)
def test_ciwa_severe_band_is_high(band: str, raised: bool) -> None:
    current = make_assessment(total=45, band=band)
    flags = codes(assessment_flags(make_intake(), current, None, as_of=NOW))
    assert ("ciwa_severe" in flags) is raised
    if raised:
        assert flags["ciwa_severe"] == Level.HIGH


def test_ciwa_severe_bands_are_a_parameter() -> None:
    current = make_assessment(total=30, band="moderate")
    flags = assessment_flags(
        make_intake(), current, None, as_of=NOW, severe_bands=("moderate", "severe")
    )
    assert "ciwa_severe" in codes(flags)


@pytest.mark.parametrize(("value", "raised"), [(2, False), (3, True), (4, True)])
def test_item_15_visual_disturbance(value: int, raised: bool) -> None:
    current = make_assessment(total=value, items=items_with_15(value))
    flags = codes(assessment_flags(make_intake(), current, None, as_of=NOW))
    assert ("visual_disturbance_item15" in flags) is raised
    if raised:
        assert flags["visual_disturbance_item15"] == Level.ELEVATED


def test_item_15_threshold_is_a_parameter() -> None:
    current = make_assessment(total=2, items=items_with_15(2))
    flags = assessment_flags(make_intake(), current, None, as_of=NOW, visual_disturbance_min=2)
    assert "visual_disturbance_item15" in codes(flags)


def test_other_item_at_4_does_not_raise_item_15_flag() -> None:
    items = [0] * 20
    items[13] = 4
    items[15] = 4
    current = make_assessment(total=8, items=tuple(items))
    assert assessment_flags(make_intake(), current, None, as_of=NOW) == ()


@pytest.mark.parametrize(
    ("level", "expected"),
    [(0, {}), (1, {}), (2, {"sedation_2": Level.HIGH}), (3, {"sedation_3": Level.CRITICAL})],
)
def test_sedation(level: int, expected: dict[str, Level]) -> None:
    current = make_assessment(sedation_level=level)
    assert codes(assessment_flags(make_intake(), current, None, as_of=NOW)) == expected


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("difficult_to_rouse", {"unable_difficult_to_rouse": Level.CRITICAL}),
        ("confused", {"unable_confused": Level.CRITICAL}),
        ("asleep_easily_roused", {}),
        ("refused", {}),
        ("off_unit", {}),
    ],
)
def test_unable_to_assess(reason: str, expected: dict[str, Level]) -> None:
    flags = assessment_flags(make_intake(), unable(reason), None, as_of=NOW)
    assert codes(flags) == expected


@pytest.mark.parametrize(("rise", "raised"), [(9, False), (10, True), (25, True), (-10, False)])
def test_ciwa_rise(rise: int, raised: bool) -> None:
    previous = make_assessment(total=20, band="mild")
    current = make_assessment(total=20 + rise, band="moderate" if rise > 0 else "mild")
    flags = assessment_flags(make_intake(), current, previous, as_of=NOW)
    assert ("ciwa_rise" in codes(flags)) is raised
    if raised:
        flag = next(f for f in flags if f.code == "ciwa_rise")
        assert flag.level == Level.HIGH
        assert "physician" in flag.reason
        assert "design default" in flag.source


def test_ciwa_rise_threshold_is_a_parameter() -> None:
    previous = make_assessment(total=10, band="mild")
    current = make_assessment(total=15, band="mild")
    flags = assessment_flags(make_intake(), current, previous, as_of=NOW, rise_threshold=5)
    assert "ciwa_rise" in codes(flags)
    with pytest.raises(ValueError, match="rise_threshold"):
        assessment_flags(make_intake(), current, previous, as_of=NOW, rise_threshold=0)


def test_no_rise_when_either_assessment_unable() -> None:
    previous = unable("refused")
    current = make_assessment(total=40, band="moderate")
    assert "ciwa_rise" not in codes(assessment_flags(make_intake(), current, previous, as_of=NOW))
    previous = make_assessment(total=0, band="none")
    flags = assessment_flags(make_intake(), unable("refused"), previous, as_of=NOW)
    assert "ciwa_rise" not in codes(flags)


def test_assessment_flags_include_intake_flags() -> None:
    intake = make_intake(age_years=70)
    flags = codes(assessment_flags(intake, make_assessment(), None, as_of=NOW))
    assert flags == {"age_65_plus": Level.ELEVATED}


def test_sorted_critical_first_and_no_duplicates() -> None:
    intake = make_intake(
        total_diazepam_mg=Decimal("60"),
        dose_band="high",
        age_years=70,
        epilepsy=True,
        withdrawal_seizures=True,
    )
    previous = make_assessment(total=20, band="mild")
    current = make_assessment(
        total=45,
        band="severe",
        items=items_with_15(4),
        sedation_level=2,
        seizure=True,
        hallucinations=True,
    )
    flags = assessment_flags(intake, current, previous, as_of=NOW)
    order = {Level.CRITICAL: 0, Level.HIGH: 1, Level.ELEVATED: 2}
    ranks = [order[f.level] for f in flags]
    assert ranks == sorted(ranks)
    assert len({f.code for f in flags}) == len(flags)
    assert flags[0].level == Level.CRITICAL
    assert {"seizure_since_last", "hallucinations", "ciwa_rise", "sedation_2", "ciwa_severe"} <= {
        f.code for f in flags
    }
    for flag in flags:
        assert flag.reason
        assert flag.source


@given(
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, 0, 1, 2, 3]),
    st.integers(min_value=0, max_value=80),
    st.integers(min_value=0, max_value=80),
)
def test_flags_always_sorted_and_unique(
    seizure: bool,
    hallucinations: bool,
    confusion: bool,
    suicidal: bool,
    sedation: int | None,
    previous_total: int,
    current_total: int,
) -> None:
    previous = make_assessment(total=previous_total)
    current = make_assessment(
        total=current_total,
        band="severe",
        sedation_level=sedation,
        seizure=seizure,
        hallucinations=hallucinations,
        confusion=confusion,
        suicidal_thoughts=suicidal,
    )
    flags = assessment_flags(make_intake(age_years=80), current, previous, as_of=NOW)
    order = {Level.CRITICAL: 0, Level.HIGH: 1, Level.ELEVATED: 2}
    assert [order[f.level] for f in flags] == sorted(order[f.level] for f in flags)
    assert len({f.code for f in flags}) == len(flags)


def test_assessment_validation() -> None:
    with pytest.raises(ValueError, match="sedation_level"):
        make_assessment(sedation_level=4)
    with pytest.raises(ValueError, match="bored"):
        make_assessment(unable_reason="bored")
    with pytest.raises(ValueError, match="20 scores"):
        make_assessment(items=(0,) * 19)


# --- highest level ---------------------------------------------------------------------------


def test_highest_level() -> None:
    elevated = Flag("a", Level.ELEVATED, "r", "s")
    high = Flag("b", Level.HIGH, "r", "s")
    critical = Flag("c", Level.CRITICAL, "r", "s")
    assert highest_level([]) is None
    assert highest_level([elevated]) == Level.ELEVATED
    assert highest_level([elevated, high]) == Level.HIGH
    assert highest_level([elevated, critical, high]) == Level.CRITICAL
    assert highest_level(iter([high, elevated])) == Level.HIGH


# --- setting recommendation ------------------------------------------------------------------


def test_outpatient_when_no_criterion() -> None:
    rec = setting_recommendation(make_intake())
    assert rec.setting == "outpatient"
    assert rec.reasons
    assert rec.sources


@pytest.mark.parametrize(
    "overrides",
    [
        {"total_diazepam_mg": Decimal("50.01"), "dose_band": "high"},
        {"injecting": True},
        {"withdrawal_seizures": True},
        {"epilepsy": True},
        {"multiple_substance_dependence": True},
        {"alcohol_dependence": True},
        {"other_cns_depressants": True},
        {"withdrawal_psychosis": True},
    ],
)
def test_inpatient_criteria(overrides: dict[str, object]) -> None:
    rec = setting_recommendation(make_intake(**overrides))
    assert rec.setting == "inpatient"
    assert len(rec.reasons) == 1
    assert rec.sources


def test_dose_exactly_50_alone_is_outpatient() -> None:
    rec = setting_recommendation(make_intake(total_diazepam_mg=Decimal("50"), dose_band="high"))
    assert rec.setting == "outpatient"


def test_inpatient_lists_every_reason_and_sources_once() -> None:
    rec = setting_recommendation(
        make_intake(
            total_diazepam_mg=Decimal("80"), dose_band="high", injecting=True, epilepsy=True
        )
    )
    assert rec.setting == "inpatient"
    assert len(rec.reasons) == 3
    assert rec.sources == ("SA Health",)


def test_hepatic_impairment_alone_does_not_force_inpatient() -> None:
    assert setting_recommendation(make_intake(hepatic_impairment=True)).setting == "outpatient"


# --- withholding sedating doses --------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "hold"), [(None, False), (0, False), (1, False), (2, True), (3, True)]
)
def test_withhold_by_sedation(level: int | None, hold: bool) -> None:
    a = make_assessment(sedation_level=level)
    assert hold_sedating_doses(a.sedation_level, a.unable_reason) is hold


@pytest.mark.parametrize(
    ("reason", "hold"),
    [
        ("difficult_to_rouse", True),
        ("confused", True),
        ("asleep_easily_roused", False),
        ("refused", False),
        ("off_unit", False),
    ],
)
def test_withhold_by_unable_reason(reason: str, hold: bool) -> None:
    a = unable(reason)
    assert hold_sedating_doses(a.sedation_level, a.unable_reason) is hold


@pytest.mark.parametrize(
    ("history", "reason"),
    [
        (
            {"alcohol_dependence": True},
            "Alcohol dependence: higher risk of seizures in withdrawal.",
        ),
        (
            {"other_cns_depressants": True},
            "Use of other sedating drugs (CNS depressants): higher risk of seizures in withdrawal.",
        ),
        (
            {"alcohol_dependence": True, "other_cns_depressants": True},
            "Alcohol dependence and use of other sedating drugs (CNS depressants): higher risk"
            " of seizures in withdrawal.",
        ),
    ],
)
def test_co_use_reason_reads_as_a_finding(history, reason) -> None:
    """Issue 19 item 6: it said "Also uses alcohol dependence"."""
    (flag,) = intake_flags(make_intake(**history), as_of=NOW)
    assert flag.reason == reason


# --- Unknown dose: an unconverted agent (issue 20 item 1) -------------------------------------


def unknown_only() -> IntakeFacts:
    return make_intake(
        total_diazepam_mg=Decimal("0"),
        dose_band="unknown",
        substances=(SubstanceFacts("etizolam", Decimal("0"), NOW - timedelta(hours=2), False),),
        unconverted_agents=("etizolam",),
    )


def test_unknown_dose_raises_an_intake_flag_saying_so() -> None:
    flags = {f.code: f for f in intake_flags(unknown_only(), as_of=NOW)}
    flag = flags["dose_unknown"]
    assert flag.level is Level.HIGH
    assert "Daily dose unknown: etizolam not converted" in flag.reason
    assert "lowest dose that controls withdrawal" in flag.reason
    assert "equivalence.md" in flag.source and "design default" in flag.source


def test_unknown_dose_suggests_no_setting_from_the_dose() -> None:
    rec = setting_recommendation(unknown_only())
    assert rec.setting == "undecided"
    assert any("Daily dose unknown" in r and "physician decides" in r for r in rec.reasons)
    assert any("equivalence.md" in s for s in rec.sources)


def test_known_plus_unknown_says_at_least_and_keeps_other_inpatient_reasons() -> None:
    facts = make_intake(
        total_diazepam_mg=Decimal("60"),
        dose_band="high",
        unconverted_agents=("etizolam",),
    )
    flags = {f.code: f for f in intake_flags(facts, as_of=NOW)}
    assert "at least 60 mg" in flags["dose_above_50"].reason
    assert "at least 60 mg" in flags["dose_unknown"].reason
    rec = setting_recommendation(facts)
    assert rec.setting == "inpatient"
    assert "at least 60 mg" in rec.reasons[0]
    assert "Daily dose unknown" in rec.reasons[-1]


def test_known_dose_raises_no_unknown_flag() -> None:
    assert "dose_unknown" not in {f.code for f in intake_flags(make_intake(), as_of=NOW)}
    assert setting_recommendation(make_intake()).setting == "outpatient"
