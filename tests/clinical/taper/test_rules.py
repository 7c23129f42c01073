"""Tests for clinical.taper.rules against tapering.md sections 1-4."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from clinical.equivalence import convert_regimen
from clinical.taper.rules import (
    PlanWarning,
    above_cap_warning,
    conversion_warnings,
    dose_warnings,
    limited_step_warnings,
    override_codes,
    patient_warnings,
    rate_rule_violations,
    schedule_info,
)
from clinical.taper.schedule import (
    CustomParams,
    CustomStep,
    InpatientParams,
    OutpatientParams,
    build_schedule,
)

D = Decimal
START = date(2025, 3, 3)


def custom(*steps: tuple[int, int | str], apply_rate_rule: bool = True):
    return build_schedule(
        "custom",
        CustomParams(apply_rate_rule=apply_rate_rule),
        agent="diazepam",
        starting_daily_mg=D(steps[0][1]),
        start_date=START,
        custom_steps=[CustomStep(d, D(mg)) for d, mg in steps],
    )


def codes(warnings: list[PlanWarning]) -> list[str]:
    return [w.code for w in warnings]


@pytest.mark.parametrize(
    ("mg", "expected"),
    [
        ("15", []),
        ("15.01", ["high_dose_dependence"]),
        ("40", ["high_dose_dependence"]),
        ("40.5", ["specialist_review", "high_dose_dependence"]),
        ("80", ["specialist_review", "high_dose_dependence"]),
        ("100", ["capped", "specialist_review", "high_dose_dependence"]),
    ],
)
def test_dose_warnings(mg, expected) -> None:
    assert codes(dose_warnings(D(mg), D(80))) == expected


def test_capped_message_quotes_tapering_md() -> None:
    (capped, *_) = dose_warnings(D(100), D(80))
    assert "capped: titrate to symptoms" in capped.message.lower()
    assert "SA Health" in capped.source
    assert not capped.requires_override


def test_patient_warnings() -> None:
    none = patient_warnings(age=64, hepatic_impairment=False, epilepsy=False, agents=["diazepam"])
    assert none == []
    found = patient_warnings(
        age=65, hepatic_impairment=True, epilepsy=True, agents=["clobazam", "lorazepam"]
    )
    assert codes(found) == [
        "seizure_history",
        "age_65_or_over",
        "hepatic_impairment",
        "epilepsy_anticonvulsant_benzodiazepine",
    ]
    assert "clobazam" in found[3].message
    assert "oxazepam" in found[2].message


@pytest.mark.parametrize(
    ("seizures", "epilepsy", "words"),
    [
        (True, False, "seizures in a previous withdrawal"),
        (False, True, "epilepsy or a seizure disorder"),
        (True, True, "seizures in a previous withdrawal and epilepsy or a seizure disorder"),
    ],
)
def test_seizure_history_reaches_the_plan_with_its_source(seizures, epilepsy, words) -> None:
    # Issue 20 item 3: the intake's seizure history raised no plan warning.
    (warning,) = patient_warnings(
        age=40,
        hepatic_impairment=False,
        epilepsy=epilepsy,
        withdrawal_seizures=seizures,
        agents=["diazepam"],
    )
    assert warning.code == "seizure_history"
    assert f"History of {words}" in warning.message
    assert warning.source == "risk.md (seizure risk); SA Health"


def test_seizure_history_on_an_outpatient_plan_says_not_for_outpatient() -> None:
    (warning,) = patient_warnings(
        age=40,
        hepatic_impairment=False,
        epilepsy=False,
        withdrawal_seizures=True,
        agents=["diazepam"],
        strategy="outpatient",
    )
    assert "not for outpatient" in warning.message


def test_conversion_warnings() -> None:
    assert conversion_warnings(convert_regimen([("diazepam", D(10))])) == []
    # estazolam is 1-2 mg per 10 mg diazepam in ashton-2002: a range in the chosen table.
    (w,) = conversion_warnings(convert_regimen([("estazolam", D(2))]))
    assert w.code == "wide_conversion_range"
    assert "estazolam is 1-2 mg" in w.message
    # alprazolam: 0.5 (ashton) vs 1 (va-dod, who): tables differ by 100%.
    (w,) = conversion_warnings(convert_regimen([("alprazolam", D(1))]))
    assert "differ by up to 100%" in w.message
    # temazepam 15-20: 33% apart; lorazepam 1-2: 100%.
    assert conversion_warnings(convert_regimen([("temazepam", D(20))]))


def test_a_reduction_over_25_percent_in_14_days_is_a_violation_naming_the_step() -> None:
    s = custom((14, 20), (14, 14), (14, 12), (1, 0), apply_rate_rule=True)
    found = rate_rule_violations(s.steps)
    assert [(w.code, w.step_index) for w in found] == [
        ("rate_rule_exceeded", 1),  # 20 -> 14 keeps 70%
        ("rate_rule_exceeded", 3),  # 12 -> 0: not one step, so not exempt
    ]
    assert all(w.requires_override for w in found)
    assert "30% within 14 days" in found[0].message
    assert override_codes(found) == ("rate_rule_exceeded",)


def test_two_reductions_inside_one_window_add_up() -> None:
    # 20 -> 17 (85%) then 7 days later 17 -> 14: 14/20 = 70% within 14 days.
    s = custom((14, 20), (7, 17), (14, 14), (14, 12), (14, 10), (14, 8), (14, 6), (14, 5),
               (14, 4), (14, 3), (28, 2), (28, 1), (1, 0))  # fmt: skip
    found = rate_rule_violations(s.steps)
    assert [w.step_index for w in found] == [2]


def test_steps_limited_by_tablet_size_are_exempt_and_warned() -> None:
    s = custom((14, 4), (14, 3), (28, 2), (28, 1), (1, 0))
    assert rate_rule_violations(s.steps) == []
    found = limited_step_warnings(s.steps)
    assert [(w.code, w.step_index) for w in found] == [
        ("limited_by_tablet_size", 2),
        ("limited_by_tablet_size", 3),
        ("limited_by_tablet_size", 4),
    ]
    assert "33.3% reduction" in found[0].message
    assert not any(w.requires_override for w in found)


def test_the_rule_can_be_switched_off_for_a_hand_made_inpatient_taper() -> None:
    s = custom((2, 40), (1, 30), (1, 20), (1, 10), (1, 0), apply_rate_rule=False)
    assert rate_rule_violations(s.steps) == []


def test_generated_outpatient_plan_kept_to_the_chosen_rhythm_is_a_violation() -> None:
    p = OutpatientParams(reduction_percent=D(20), interval_days=7, respect_rate_rule=False)
    s = build_schedule("outpatient", p, agent="diazepam", starting_daily_mg=D(40), start_date=START)
    found = rate_rule_violations(s.steps)
    assert found[0].step_index == 2  # 40 -> 32 -> 25 within 14 days keeps 62.5%
    p = OutpatientParams(reduction_percent=D(20), interval_days=7)
    s = build_schedule("outpatient", p, agent="diazepam", starting_daily_mg=D(40), start_date=START)
    assert rate_rule_violations(s.steps) == []
    assert "rate_rule_deferred" in codes(schedule_info(s))


def test_hand_off_info() -> None:
    s = build_schedule(
        "inpatient", InpatientParams(), agent="diazepam", starting_daily_mg=D(40), start_date=START
    )
    (w,) = schedule_info(s)
    assert w.code == "hand_off"
    assert "20 mg/day diazepam" in w.message
    assert w.step_index == len(s.steps) - 1


def test_custom_first_step_above_the_cap() -> None:
    s = custom((2, 90), (1, 0), apply_rate_rule=False)
    assert codes(above_cap_warning(s, D(80))) == ["above_cap"]
    assert above_cap_warning(s, D(90)) == []


def test_second_signature_reasons():
    from clinical.taper.rules import second_signature_reasons

    assert second_signature_reasons(["high_dose"], []) == ()
    (reason,) = second_signature_reasons(["specialist_review", "high_dose"], [])
    assert "above 40 mg" in reason and "eTG" in reason
    (reason,) = second_signature_reasons([], ["max_25_per_14_days"])
    assert "override (max_25_per_14_days)" in reason
    assert len(second_signature_reasons(["specialist_review"], ["capped"])) == 2


def test_specialist_review_warning_is_above_40_not_at_40():
    from decimal import Decimal

    from clinical.taper.rules import dose_warnings

    codes = lambda mg: {w.code for w in dose_warnings(Decimal(mg), Decimal(80))}  # noqa: E731
    assert "specialist_review" not in codes("40")
    assert "specialist_review" in codes("40.5")
