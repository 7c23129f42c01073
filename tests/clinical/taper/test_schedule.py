"""Tests for clinical.taper.schedule: worked examples derived by hand from tapering.md."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clinical.taper.rounding import FORMULATIONS
from clinical.taper.schedule import (
    RATE_RULE_MIN_KEPT,
    CustomParams,
    CustomStep,
    InpatientParams,
    OutpatientParams,
    ParameterError,
    Schedule,
    build_schedule,
    is_limited_by_tablet_size,
    trailing_window_kept,
)

D = Decimal
START = date(2025, 3, 3)
RATIO = {"diazepam": D(1), "chlordiazepoxide": D("2.5")}


def build(strategy, params=None, *, start_mg, agent="diazepam", steps=()) -> Schedule:
    return build_schedule(
        strategy,
        params,
        agent=agent,
        starting_daily_mg=D(start_mg),
        start_date=START,
        target_per_diazepam=RATIO[agent],
        custom_steps=steps,
    )


def totals(schedule: Schedule) -> list[int | Decimal]:
    return [s.daily_total_mg for s in schedule.steps]


def days(schedule: Schedule) -> list[int]:
    return [s.days for s in schedule.steps]


# --- inpatient ---------------------------------------------------------------------------


def test_inpatient_defaults_from_40_mg() -> None:
    # S = 2 days at 40; R = 10% of 40 = 4 mg/day; stop at the 20 mg hand-off (tapering.md 2).
    s = build("inpatient", start_mg=40)
    assert totals(s) == [40, 36, 32, 28, 24, 20]
    assert days(s) == [2, 1, 1, 1, 1, 1]
    assert s.steps[0].start_date == START
    assert s.steps[0].end_date == START + timedelta(days=1)
    assert s.steps[-1].end_date == START + timedelta(days=6)
    assert s.end_mg == s.hand_off_mg == 20
    # QID (eTG; SA Health), unit default times.
    assert [(d.time, d.mg) for d in s.steps[1].doses] == [
        ("08:00", 9),
        ("12:00", 9),
        ("17:00", 9),
        ("21:00", 9),
    ]
    assert "Hand-off at 20 mg/day" in s.steps[-1].note


def test_inpatient_day_one_test_dose_is_half_a_qid_dose() -> None:
    s = build("inpatient", start_mg=40)
    assert s.test_dose is not None
    assert (s.test_dose.time, s.test_dose.mg) == ("08:00", 5)  # half of 10 mg
    assert "Day 1, first dose (08:00): give 5 mg (1 x 5 mg tablet)" in s.steps[0].note
    assert "repeated after 2 h" in s.steps[0].note


def test_inpatient_to_zero_with_a_fixed_mg_reduction() -> None:
    # Older SA Health protocol: 10 mg/day; hand-off 0 = stop at zero.
    params = InpatientParams(reduction_mg_per_day=D(10), hand_off_mg=D(0), stabilisation_days=3)
    s = build("inpatient", params, start_mg=40)
    assert totals(s) == [40, 30, 20, 10, 0]
    assert days(s) == [3, 1, 1, 1, 1]
    assert s.hand_off_mg is None
    assert s.steps[-1].doses == ()
    assert "Taper complete" in s.steps[-1].note


def test_inpatient_rounding_that_stalls_holds_a_day_then_moves_one_step() -> None:
    # 8 mg, R = 0.8 mg/day: curve 7.2, 6.4, 5.6, 4.8, 4.0 (4 again: held), 3.2, 2.4, 1.6, 0.8.
    s = build("inpatient", InpatientParams(hand_off_mg=D(0)), start_mg=8)
    assert totals(s) == [8, 7, 6, 5, 4, 3, 2, 1, 0]
    assert days(s) == [2, 1, 1, 1, 2, 1, 1, 1, 1]
    assert "held one extra day" in s.steps[4].derivation


def test_inpatient_forced_step_is_limited_by_tablet_size() -> None:
    # 4 mg, R = 0.4 mg/day: curve 3.6 -> 3; 3.2 -> 3 held; 2.8 -> 2; 2.4 -> 2 held; 2.0 -> 2
    # still unchanged after the hold, so one step down to 1 (limited); 1.6 -> 1 held; 1.2 -> 1
    # again, so one step down to 0 (limited).
    s = build("inpatient", InpatientParams(hand_off_mg=D(0)), start_mg=4)
    assert totals(s) == [4, 3, 2, 1, 0]
    assert days(s) == [2, 2, 2, 2, 1]
    assert [st.limited_by_tablet_size for st in s.steps] == [False, False, False, True, True]
    assert all(st.daily_total_mg <= st.unrounded_mg for st in s.steps)


def test_inpatient_start_at_or_below_hand_off_only_stabilises() -> None:
    s = build("inpatient", start_mg=15)
    assert totals(s) == [15]
    assert days(s) == [2]
    assert s.hand_off_mg == 15


def test_inpatient_with_outpatient_continuation() -> None:
    params = InpatientParams(continuation=OutpatientParams(doses_per_day=1))
    s = build("inpatient", params, start_mg=40)
    assert totals(s)[:7] == [40, 36, 32, 28, 24, 20, 18]
    assert s.steps[5].days == 14  # hand-off dose held one outpatient interval
    assert s.steps[5].phase == "outpatient"
    assert not s.steps[5].rate_rule_applies  # the inpatient drop into it is not the 25% rule's
    assert s.steps[6].rate_rule_applies
    assert s.end_mg == 0 and s.hand_off_mg is None
    assert [d.time for d in s.steps[6].doses] == ["08:00"]


def test_chlordiazepoxide_inpatient_is_diazepam_times_2_5() -> None:
    # Diazepam 80 mg -> chlordiazepoxide 200 mg; R = 20 mg/day; hand-off 20 x 2.5 = 50 mg.
    s = build("inpatient", start_mg=200, agent="chlordiazepoxide")
    assert totals(s) == [200, 180, 160, 140, 120, 100, 80, 60, 50]
    assert s.hand_off_mg == 50
    assert [d.mg for d in s.steps[0].doses] == [50, 50, 50, 50]
    assert s.steps[0].doses[0].units[0].strength_mg == 25


# --- outpatient --------------------------------------------------------------------------


def test_outpatient_defaults_from_20_mg() -> None:
    # P = 10% of the current dose every N = 14 days, rounded down to 1 mg. 4 -> 3 keeps exactly
    # 75%; 3 -> 2, 2 -> 1 and 1 -> 0 are single steps over 25%: limited by tablet size, each
    # taken after the previous dose is held one extra interval (tapering.md 3).
    s = build("outpatient", start_mg=20)
    assert totals(s) == [20, 18, 16, 14, 12, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    assert days(s) == [14] * 12 + [28, 28, 28, 1]
    limited = [st.daily_total_mg for st in s.steps if st.limited_by_tablet_size]
    assert limited == [2, 1, 0]
    assert s.steps[2].unrounded_mg == D("16.2")
    assert [d.mg for d in s.steps[0].doses] == [10, 10]  # default BID
    assert [(d.time, d.mg) for d in s.steps[-2].doses] == [("20:00", 1)]  # 1 mg: evening
    assert s.end_mg == 0


def test_outpatient_chlordiazepoxide_from_50_mg() -> None:
    s = build(
        "outpatient", OutpatientParams(doses_per_day=1), start_mg=50, agent="chlordiazepoxide"
    )
    # 50 45 40.5->40 36->35 31.5->30 27->25 22.5->20 18->15 | 13.5->10 9->5 4.5->0 (limited)
    assert totals(s) == [50, 45, 40, 35, 30, 25, 20, 15, 10, 5, 0]
    assert [st.limited_by_tablet_size for st in s.steps][-3:] == [True, True, True]


def test_outpatient_25_percent_rounding_past_the_limit_is_limited_by_tablet_size() -> None:
    s = build("outpatient", OutpatientParams(reduction_percent=D(25)), start_mg=15)
    # 25% of 15 aims at 11.25; no 1 mg step lies between 11.25 and 11.25 -> 11 (26.7%).
    assert totals(s)[:2] == [15, 11]
    assert s.steps[1].limited_by_tablet_size
    assert s.steps[0].days == 28


def test_outpatient_defers_reductions_to_respect_25_percent_in_14_days() -> None:
    # N = 7, P = 20: two reductions in 14 days would keep 64%; the second waits.
    s = build("outpatient", OutpatientParams(reduction_percent=D(20), interval_days=7), start_mg=20)
    assert totals(s)[:3] == [20, 16, 12]
    assert s.steps[1].days == 14  # 7 days + deferred 7 days
    assert "deferred 7 days" in s.steps[2].derivation
    assert s.rate_rule_deferrals > 0


def test_outpatient_can_keep_the_chosen_rhythm_when_asked() -> None:
    p = OutpatientParams(reduction_percent=D(20), interval_days=7, respect_rate_rule=False)
    s = build("outpatient", p, start_mg=20)
    assert days(s)[:3] == [7, 7, 7]
    assert s.rate_rule_deferrals == 0


# --- custom ------------------------------------------------------------------------------


def test_custom_steps_are_rounded_down_collapsed_and_checked() -> None:
    steps = [
        CustomStep(7, D("10.5")),
        CustomStep(7, D(10), note="review"),
        CustomStep(7, D(2)),
        CustomStep(7, D(1)),
        CustomStep(3, D(0)),
    ]
    s = build("custom", CustomParams(time_slots=("08:00", "20:00")), start_mg=10, steps=steps)
    assert totals(s) == [10, 2, 1, 0]
    assert days(s) == [14, 7, 7, 1]
    assert s.steps[0].unrounded_mg == 10
    assert "rounded down" in s.steps[0].derivation
    assert "review" in s.steps[0].note
    assert [st.limited_by_tablet_size for st in s.steps] == [False, False, True, True]
    assert all(st.rate_rule_applies for st in s.steps)


def test_custom_may_end_at_the_hand_off_dose() -> None:
    steps = [CustomStep(5, D(30)), CustomStep(5, D(20))]
    s = build("custom", CustomParams(hand_off_mg=D(20)), start_mg=30, steps=steps)
    assert s.hand_off_mg == 20 and s.end_mg == 20


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([], "custom_steps"),
        ([CustomStep(7, D(10)), CustomStep(7, D(12)), CustomStep(1, D(0))], "custom_steps[1]"),
        ([CustomStep(7, D(10)), CustomStep(7, D(5))], "custom_steps"),
        ([CustomStep(0, D(10)), CustomStep(1, D(0))], "custom_steps[0].days"),
        ([CustomStep(1, D(0)), CustomStep(1, D(0))], "custom_steps[0].daily_total_mg"),
    ],
)
def test_custom_steps_rejected(steps, field) -> None:
    with pytest.raises(ParameterError) as err:
        build("custom", start_mg=10, steps=steps)
    assert err.value.field.startswith(field)


# --- parameter limits --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "params", "field"),
    [
        ("inpatient", InpatientParams(stabilisation_days=1), "stabilisation_days"),
        ("inpatient", InpatientParams(stabilisation_days=8), "stabilisation_days"),
        ("inpatient", InpatientParams(hand_off_mg=D(25)), "hand_off_mg"),
        ("inpatient", InpatientParams(hand_off_mg=D(-1)), "hand_off_mg"),
        ("inpatient", InpatientParams(reduction_percent=D(0)), "reduction_percent"),
        (
            "inpatient",
            InpatientParams(reduction_percent=D(10), reduction_mg_per_day=D(5)),
            "reduction_mg_per_day",
        ),
        ("inpatient", InpatientParams(time_slots=("08:00", "20:00")), "time_slots"),
        (
            "inpatient",
            InpatientParams(hand_off_mg=D(0), continuation=OutpatientParams()),
            "continuation",
        ),
        (
            "inpatient",
            InpatientParams(continuation=OutpatientParams(interval_days=30)),
            "continuation.interval_days",
        ),
        ("outpatient", OutpatientParams(reduction_percent=D("4.9")), "reduction_percent"),
        ("outpatient", OutpatientParams(reduction_percent=D(26)), "reduction_percent"),
        ("outpatient", OutpatientParams(interval_days=6), "interval_days"),
        ("outpatient", OutpatientParams(interval_days=29), "interval_days"),
        ("outpatient", OutpatientParams(doses_per_day=3), "doses_per_day"),
        ("outpatient", OutpatientParams(doses_per_day=1, time_slots=("8", "9")), "time_slots"),
        ("custom", CustomParams(hand_off_mg=D(21)), "hand_off_mg"),
        ("outpatient", InpatientParams(), "params"),
        ("tapered", None, "strategy"),
    ],
)
def test_parameters_outside_the_limits_are_field_errors(strategy, params, field) -> None:
    with pytest.raises(ParameterError) as err:
        build(strategy, params, start_mg=40, steps=[CustomStep(1, D(0))])
    assert field in err.value.as_dict()


def test_all_field_errors_are_reported_together() -> None:
    with pytest.raises(ParameterError) as err:
        build("outpatient", OutpatientParams(reduction_percent=D(50), interval_days=1), start_mg=20)
    assert set(err.value.as_dict()) == {"reduction_percent", "interval_days"}
    assert "5 to 25" in err.value.as_dict()["reduction_percent"][0]


def test_starting_dose_below_the_smallest_dose_is_refused() -> None:
    with pytest.raises(ParameterError, match="below the smallest"):
        build("outpatient", start_mg=D("3"), agent="chlordiazepoxide")


def test_limited_by_tablet_size_definition() -> None:
    f = FORMULATIONS["diazepam"]
    assert is_limited_by_tablet_size(D(3), D(2), f)  # tapering.md: 3 -> 2 is 33%
    assert is_limited_by_tablet_size(D(1), D(0), f)  # tapering.md: 1 -> 0 is 100%
    assert not is_limited_by_tablet_size(D(4), D(3), f)  # exactly 25%
    assert not is_limited_by_tablet_size(D(3), D(1), f)  # two steps
    assert not is_limited_by_tablet_size(D(15), D(11), f)  # 12 would have kept 75%
    assert is_limited_by_tablet_size(D(15), D(11), f, curve_mg=D("11.25"))


def test_trailing_window() -> None:
    changes = [(10, D(20), D(18), False), (20, D(18), D(15), False), (30, D(15), D(1), True)]
    assert trailing_window_kept(changes, 20) == D(15) / D(20)
    assert trailing_window_kept(changes, 24) == D(15) / D(18)
    assert trailing_window_kept(changes, 30) == D(15) / D(18)  # the limited step is exempt


# --- properties --------------------------------------------------------------------------

doses = st.decimals(min_value=D(2), max_value=D(120), places=2)
inpatient_params = st.builds(
    InpatientParams,
    stabilisation_days=st.integers(2, 7),
    reduction_percent=st.one_of(st.none(), st.decimals(D(1), D(50), places=1)),
    hand_off_mg=st.sampled_from([D(0), D(10), D("12.5"), D(20)]),
    continuation=st.one_of(
        st.none(),
        st.builds(
            OutpatientParams,
            reduction_percent=st.decimals(D(5), D(25), places=1),
            interval_days=st.integers(7, 28),
            doses_per_day=st.integers(1, 2),
        ),
    ),
)
fixed_inpatient = st.builds(
    InpatientParams,
    reduction_mg_per_day=st.decimals(D("0.5"), D(15), places=1),
    hand_off_mg=st.sampled_from([D(0), D(20)]),
)
outpatient_params = st.builds(
    OutpatientParams,
    reduction_percent=st.decimals(D(5), D(25), places=1),
    interval_days=st.integers(7, 28),
    doses_per_day=st.integers(1, 2),
)


def check_invariants(s: Schedule) -> None:
    f = FORMULATIONS[s.agent]
    previous = None
    for i, step in enumerate(s.steps):
        assert step.days >= 1
        if i:
            assert step.start_date == s.steps[i - 1].end_date + timedelta(days=1)  # no gaps
            # Never increasing; equal totals are one step unless the dose times change (an
            # inpatient plan handing over to a once- or twice-daily continuation).
            assert step.daily_total_mg <= previous
            if step.daily_total_mg == previous:
                assert step.doses != s.steps[i - 1].doses
        assert step.daily_total_mg <= step.unrounded_mg  # never above the curve
        assert step.daily_total_mg % f.dose_step_mg == 0
        assert sum(d.mg for d in step.doses) == step.daily_total_mg
        for dose in step.doses:
            assert dose.mg > 0
            assert sum(u.strength_mg * u.count for u in dose.units) == dose.mg
            assert all(u.strength_mg in f.strengths_mg for u in dose.units)
        previous = step.daily_total_mg
    assert s.steps[0].start_date == START
    last = s.steps[-1].daily_total_mg
    assert last == s.end_mg
    assert last == 0 or last == s.hand_off_mg


def check_rate_rule(s: Schedule) -> None:
    changes = []
    for prev, step in itertools.pairwise(s.steps):
        if step.rate_rule_applies:
            day = step.start_date.toordinal()
            changes.append(
                (day, prev.daily_total_mg, step.daily_total_mg, step.limited_by_tablet_size)
            )
            if not step.limited_by_tablet_size:
                assert trailing_window_kept(changes, day) >= RATE_RULE_MIN_KEPT


@settings(max_examples=150, deadline=None)
@given(doses, st.sampled_from(["diazepam", "chlordiazepoxide"]), inpatient_params | fixed_inpatient)
def test_inpatient_properties(start, agent, params) -> None:
    assume(params.continuation is None or params.hand_off_mg > 0)
    s = build("inpatient", params, start_mg=start * RATIO[agent], agent=agent)
    check_invariants(s)
    check_rate_rule(s)  # the continuation, if any, keeps 25% per 14 days
    if params.continuation is None and params.hand_off_mg == 0:
        assert s.end_mg == 0


@settings(max_examples=150, deadline=None)
@given(doses, st.sampled_from(["diazepam", "chlordiazepoxide"]), outpatient_params)
def test_outpatient_properties(start, agent, params) -> None:
    s = build("outpatient", params, start_mg=start * RATIO[agent], agent=agent)
    check_invariants(s)
    check_rate_rule(s)
    assert s.end_mg == 0
    smallest = FORMULATIONS[agent].smallest_dose_mg
    assert s.steps[-2].daily_total_mg == smallest  # last step: smallest dose -> zero


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.decimals(D(0), D(60), places=1)), max_size=8))
def test_custom_properties(raw) -> None:
    values = sorted((v for _, v in raw), reverse=True)
    steps = [CustomStep(d, v) for (d, _), v in zip(raw, values, strict=True)]
    steps = [st for st in steps if st.daily_total_mg >= 1] + [CustomStep(1, D(0))]
    assume(len(steps) > 1)
    s = build("custom", start_mg=60, steps=steps)
    check_invariants(s)
