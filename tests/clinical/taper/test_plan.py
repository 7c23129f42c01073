"""Tests for clinical.taper.plan: worked examples from tapering.md and equivalence.md."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clinical.equivalence import TABLES
from clinical.taper.plan import PlanRequest, PlanResult, build_plan, canonical_json, to_dict
from clinical.taper.rounding import FORMULATIONS
from clinical.taper.rules import RULES_VERSION
from clinical.taper.schedule import (
    CustomParams,
    CustomStep,
    InpatientParams,
    OutpatientParams,
    ParameterError,
)

D = Decimal
START = date(2025, 3, 3)
HIGH = PlanRequest(agents=[("alprazolam", D(4)), ("lorazepam", D(2))], start_date=START)


def totals(result: PlanResult) -> list[Decimal]:
    return [s.daily_total_mg for s in result.steps]


def test_alprazolam_and_lorazepam_under_ashton_is_capped_at_80() -> None:
    # ashton-2002: alprazolam 0.5 mg = 10 mg -> 4 mg = 80; lorazepam 1 mg = 10 mg -> 2 mg = 20.
    result = build_plan(HIGH)
    assert result.table_id == "ashton-2002"
    assert result.table_version == TABLES["ashton-2002"].version
    assert [c.diazepam_mg for c in result.conversion.conversions] == [80, 20]
    assert result.diazepam_equivalent_mg == 100
    assert result.capped
    assert result.starting_daily_mg == 80
    # Inpatient defaults: S = 2, R = 8 mg/day (10% of 80), stop at the 20 mg hand-off; the
    # curve would reach 16 on day 8, so the last step is the hand-off dose itself.
    assert totals(result) == [80, 72, 64, 56, 48, 40, 32, 24, 20]
    assert [w.code for w in result.warnings] == [
        "capped",
        "specialist_review",
        "high_dose_dependence",
        "hand_off",
        "wide_conversion_range",  # alprazolam and lorazepam differ two-fold across tables
    ]
    assert result.violations == ()
    assert result.rules_version == RULES_VERSION
    assert result.test_dose is not None and result.test_dose.mg == 10  # half of 20 mg


def test_chlordiazepoxide_version_is_diazepam_times_2_5() -> None:
    result = build_plan(replace(HIGH, target_agent="chlordiazepoxide"))
    # Capped 80 mg diazepam x 2.5 = 200 mg; R = 20 mg/day; hand-off 20 x 2.5 = 50 mg.
    assert result.starting_daily_mg == 200
    assert totals(result) == [200, 180, 160, 140, 120, 100, 80, 60, 50]
    assert result.form == "capsule"
    assert all(u.strength_mg in (25, 10, 5) for s in result.steps for d in s.doses for u in d.units)


def test_inpatient_default_from_40_mg_diazepam() -> None:
    result = build_plan(PlanRequest(agents=[("diazepam", D(40))], start_date=START))
    assert totals(result) == [40, 36, 32, 28, 24, 20]
    assert [w.code for w in result.warnings] == ["high_dose_dependence", "hand_off"]
    # Dispense: 2 days x 4 x 10 mg; 36 = 9 x 4 (5 + 2 + 2); 32 = 8 x 4 (2 x 4); 28 = 7 x 4
    # (5 + 2); 24 = 6 x 4 (2 x 3); 20 = 5 x 4 (5).
    dispense = {t.strength_mg: t.count for t in result.dispense_totals}
    assert dispense == {D(10): D(8), D(5): D(12), D(2): D(8 + 16 + 4 + 12)}


def test_outpatient_from_20_mg_of_temazepam_equivalent() -> None:
    # temazepam 40 mg under ashton-2002 (20 mg = 10 mg diazepam) = 20 mg diazepam.
    request = PlanRequest(
        agents=[("temazepam", D(40))],
        start_date=START,
        strategy="outpatient",
        params=OutpatientParams(doses_per_day=1),
        age=70,
    )
    result = build_plan(request)
    assert result.diazepam_equivalent_mg == 20
    assert totals(result) == [20, 18, 16, 14, 12, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    assert result.steps[-1].start_date == START + timedelta(days=12 * 14 + 3 * 28)
    codes = [w.code for w in result.warnings]
    assert codes.count("limited_by_tablet_size") == 3
    assert "age_65_or_over" in codes and "high_dose_dependence" in codes
    assert result.violations == ()


def test_custom_plan_violation_needs_an_override() -> None:
    request = PlanRequest(
        agents=[("diazepam", D(20))],
        start_date=START,
        strategy="custom",
        params=CustomParams(time_slots=("08:00", "20:00")),
        custom_steps=[CustomStep(14, D(20)), CustomStep(14, D(10)), CustomStep(1, D(0))],
    )
    result = build_plan(request)
    assert result.violations == ("rate_rule_exceeded",)
    assert [w.step_index for w in result.warnings if w.requires_override] == [1, 2]


def test_epilepsy_with_clonazepam() -> None:
    request = PlanRequest(
        agents=[("clonazepam", D(1))], start_date=START, epilepsy=True, hepatic_impairment=True
    )
    codes = [w.code for w in build_plan(request).warnings]
    assert "epilepsy_anticonvulsant_benzodiazepine" in codes
    assert "hepatic_impairment" in codes


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"agents": []}, "agents"),
        ({"agents": [("diazepam", D(10)), ("unobtainium", D(1))]}, "agents[1].agent"),
        ({"agents": [("zolpidem", D(10))]}, "agents[0].agent"),  # not in ashton-2002
        ({"agents": [("diazepam", D(-1))]}, "agents[0].daily_dose_mg"),
        ({"agents": [("diazepam", D(0))]}, "agents"),
        ({"table_id": "maudsley"}, "table_id"),
        ({"target_agent": "lorazepam"}, "target_agent"),
        ({"stabilisation_cap_mg": D(0)}, "stabilisation_cap_mg"),
        ({"age": -3}, "age"),
        ({"params": InpatientParams(stabilisation_days=9)}, "stabilisation_days"),
    ],
)
def test_bad_requests_are_field_errors(changes, field) -> None:
    with pytest.raises(ParameterError) as err:
        build_plan(replace(HIGH, **changes))
    assert field in err.value.as_dict()


def test_to_dict_is_the_preview_shape() -> None:
    data = to_dict(build_plan(HIGH))
    assert data["table"] == {"id": "ashton-2002", "version": TABLES["ashton-2002"].version}
    assert data["conversions"][0] == {
        "agent": "alprazolam",
        "daily_dose_mg": "4",
        "diazepam_mg": "80",
        "range_mg": ["80", "80"],
        "other_tables": {"va-dod-2021": ["40", "40"], "who-2009": ["40", "40"]},
    }
    assert data["diazepam_equivalent_mg"] == "100"
    assert data["starting_daily_mg"] == "80"
    step = data["steps"][1]
    assert (step["start_date"], step["end_date"], step["daily_total_mg"]) == (
        "2025-03-05",
        "2025-03-05",
        "72",
    )
    assert step["doses"][0] == {
        "time": "08:00",
        "mg": "18",
        "units": [{"strength_mg": "10", "count": "1"}, {"strength_mg": "2", "count": "4"}],
    }
    assert {"strength_mg": "10", "form": "tablet", "count": "36", "whole_units": 36} in data[
        "dispense_totals"
    ]
    assert data["warnings"][0]["code"] == "capped"
    assert set(data["warnings"][0]) == {"code", "message", "source"}
    json.dumps(data)  # JSON-ready as it is


def test_canonical_json_is_stable_and_sensitive() -> None:
    first = canonical_json(build_plan(HIGH))
    assert first == canonical_json(build_plan(HIGH))
    parsed = json.loads(first)
    assert parsed["diazepam_equivalent_mg"] == "100"
    assert parsed["request"]["start_date"] == "2025-03-03"
    assert parsed["steps"][0]["unrounded_mg"] == "80"
    assert first == json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    other = canonical_json(build_plan(replace(HIGH, agents=[("alprazolam", D(4))])))
    digest = hashlib.sha256(first.encode()).hexdigest()
    assert digest != hashlib.sha256(other.encode()).hexdigest()
    # Trailing zeros do not change the content.
    same = build_plan(replace(HIGH, agents=[("alprazolam", D("4.00")), ("lorazepam", D("2.0"))]))
    assert json.loads(canonical_json(same))["steps"] == parsed["steps"]


# --- properties over random regimens ------------------------------------------------------

ashton_agents = sorted(TABLES["ashton-2002"].factors)
regimens = st.lists(
    st.tuples(st.sampled_from(ashton_agents), st.decimals(D("0.25"), D(60), places=2)),
    min_size=1,
    max_size=3,
    unique_by=lambda item: item[0],
)
params_for = {
    "inpatient": st.builds(
        InpatientParams,
        stabilisation_days=st.integers(2, 7),
        hand_off_mg=st.sampled_from([D(0), D(20)]),
    ),
    "outpatient": st.builds(
        OutpatientParams,
        reduction_percent=st.decimals(D(5), D(25), places=0),
        interval_days=st.integers(7, 28),
        doses_per_day=st.integers(1, 2),
    ),
}


@settings(max_examples=120, deadline=None)
@given(
    regimens,
    st.sampled_from(["diazepam", "chlordiazepoxide"]),
    st.sampled_from(["inpatient", "outpatient"]),
    st.data(),
)
def test_plan_properties(regimen, target, strategy, data) -> None:
    request = PlanRequest(
        agents=regimen,
        start_date=START,
        target_agent=target,
        strategy=strategy,
        params=data.draw(params_for[strategy]),
        stabilisation_cap_mg=data.draw(st.sampled_from([D(80), D(60)])),
    )
    try:
        result = build_plan(request)
    except ParameterError as err:
        assume("below the smallest" not in str(err))
        raise
    f = FORMULATIONS[target]
    steps = result.steps
    for prev, step in itertools.pairwise(steps):
        assert step.start_date == prev.end_date + timedelta(days=1)
        assert step.daily_total_mg <= prev.daily_total_mg
    for step in steps:
        assert step.daily_total_mg <= step.unrounded_mg
        for dose in step.doses:
            assert sum(u.strength_mg * u.count for u in dose.units) == dose.mg
            assert all(u.strength_mg in f.strengths_mg for u in dose.units)
    assert steps[-1].daily_total_mg in (D(0), result.hand_off_mg)
    cap = request.stabilisation_cap_mg * (D("2.5") if target == "chlordiazepoxide" else 1)
    assert result.starting_daily_mg <= cap
    if strategy == "outpatient":
        assert result.violations == ()
    assert ("capped" in [w.code for w in result.warnings]) == result.capped
    json.loads(canonical_json(result))
    json.dumps(to_dict(result))


# --- Inpatient daily-reduction limits (issue 20 item 2) ----------------------------------------


def _inpatient(**params: object) -> PlanResult:
    return build_plan(
        PlanRequest(
            agents=[("diazepam", Decimal(60))],
            start_date=date(2025, 3, 3),
            strategy="inpatient",
            params=InpatientParams(**params),  # type: ignore[arg-type]
        )
    )


def test_default_ten_percent_inpatient_plan_breaks_no_limit() -> None:
    result = _inpatient()
    assert not {"inpatient_rate_above_etg", "inpatient_rate_above_sa_health"} & set(
        result.violations
    )


@pytest.mark.parametrize("start_mg", ["33", "47", "80", "13"])
def test_ten_percent_with_rounding_down_is_not_flagged(start_mg: str) -> None:
    result = build_plan(
        PlanRequest(agents=[("diazepam", Decimal(start_mg))], start_date=date(2025, 3, 3))
    )
    assert "inpatient_rate_above_etg" not in result.violations
    assert "inpatient_rate_above_sa_health" not in result.violations


def test_sixty_percent_a_day_breaks_both_limits_and_needs_override() -> None:
    result = _inpatient(reduction_percent=Decimal(60))
    assert {"inpatient_rate_above_etg", "inpatient_rate_above_sa_health"} <= set(result.violations)
    etg = next(w for w in result.warnings if w.code == "inpatient_rate_above_etg")
    assert "60 -> 24 mg/day" in etg.message and "10% of the 60 mg stabilisation dose" in etg.message
    assert etg.source == "tapering.md 2 (inpatient); eTG" and etg.requires_override
    sa = next(w for w in result.warnings if w.code == "inpatient_rate_above_sa_health")
    assert "10 mg/day diazepam" in sa.message and "SA Health" in sa.source


def test_fifty_mg_a_day_breaks_both_limits() -> None:
    result = _inpatient(reduction_mg_per_day=Decimal(50))
    assert {"inpatient_rate_above_etg", "inpatient_rate_above_sa_health"} <= set(result.violations)


def test_ten_mg_a_day_from_60_is_within_sa_health_but_above_etg() -> None:
    # The two limits are separate rules with separate sources: each is judged on its own.
    result = _inpatient(reduction_mg_per_day=Decimal(10))
    assert "inpatient_rate_above_etg" in result.violations
    assert "inpatient_rate_above_sa_health" not in result.violations


def test_chlordiazepoxide_sa_health_limit_is_scaled() -> None:
    result = build_plan(
        PlanRequest(
            agents=[("diazepam", Decimal(80))],
            start_date=date(2025, 3, 3),
            target_agent="chlordiazepoxide",
            params=InpatientParams(reduction_mg_per_day=Decimal(10)),
        )
    )
    # 10 mg diazepam = 25 mg chlordiazepoxide a day: at the SA Health limit, not above it.
    assert "inpatient_rate_above_sa_health" not in result.violations
    assert result.rules_version == "2"


# --- First dose time on the start date (issue 20 item 5) ----------------------------------------


def test_first_dose_time_moves_the_day_one_test_dose() -> None:
    result = build_plan(
        PlanRequest(
            agents=[("diazepam", Decimal(40))],
            start_date=date(2025, 3, 3),
            first_dose_time="17:00",
        )
    )
    assert result.test_dose is not None and result.test_dose.time == "17:00"
    assert result.test_dose.mg == Decimal(5)  # half of the 10 mg 17:00 dose
    assert "Day 1 starts at 17:00: earlier times that day are not given" in result.steps[0].note
    shown = to_dict(result)
    assert shown["first_dose_time"] == "17:00"
    assert shown["test_dose"]["time"] == "17:00"
    assert "test tolerance" in shown["test_dose"]["instruction"]


def test_first_dose_time_must_be_one_of_the_dose_times() -> None:
    with pytest.raises(ParameterError) as err:
        build_plan(
            PlanRequest(
                agents=[("diazepam", Decimal(40))],
                start_date=date(2025, 3, 3),
                first_dose_time="13:00",
            )
        )
    assert err.value.field == "first_dose_time"
