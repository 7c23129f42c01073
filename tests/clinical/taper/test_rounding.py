"""Tests for clinical.taper.rounding against tapering.md section 3."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinical.taper.rounding import (
    FORMULATIONS,
    DispenseTotal,
    FormulationError,
    Unit,
    breakdown,
    describe_units,
    dispense_totals,
    format_mg,
    formulation_for,
    round_down,
    split_daily,
)

D = Decimal
DIAZEPAM = FORMULATIONS["diazepam"]
CHLORDIAZEPOXIDE = FORMULATIONS["chlordiazepoxide"]


def test_formulations_are_the_table_in_tapering_md() -> None:
    assert DIAZEPAM.strengths_mg == (D(10), D(5), D(2))
    assert DIAZEPAM.halvable_mg == (D(2),)
    assert DIAZEPAM.dose_step_mg == D(1)
    assert DIAZEPAM.form == "tablet"
    assert CHLORDIAZEPOXIDE.strengths_mg == (D(25), D(10), D(5))
    assert CHLORDIAZEPOXIDE.halvable_mg == ()
    assert CHLORDIAZEPOXIDE.dose_step_mg == D(5)
    assert CHLORDIAZEPOXIDE.form == "capsule"


def test_only_taper_agents_have_a_formulation() -> None:
    assert formulation_for("diazepam") is DIAZEPAM
    with pytest.raises(FormulationError, match="not a taper agent"):
        formulation_for("lorazepam")


@pytest.mark.parametrize(
    ("formulation", "total", "expected"),
    [
        (DIAZEPAM, D("7.9"), D(7)),
        (DIAZEPAM, D("0.9"), D(0)),
        (DIAZEPAM, D(80), D(80)),
        (CHLORDIAZEPOXIDE, D("37.5"), D(35)),
        (CHLORDIAZEPOXIDE, D("4.99"), D(0)),
    ],
)
def test_round_down_never_up(formulation, total, expected) -> None:
    assert round_down(total, formulation) == expected


@pytest.mark.parametrize(
    ("formulation", "total", "n", "expected"),
    [
        (DIAZEPAM, 30, 4, (7, 7, 8, 8)),  # tapering.md section 3
        (DIAZEPAM, 5, 2, (2, 3)),  # tapering.md section 3
        (DIAZEPAM, 80, 4, (20, 20, 20, 20)),
        (DIAZEPAM, 1, 2, (0, 1)),
        (CHLORDIAZEPOXIDE, 15, 4, (0, 5, 5, 5)),
        (CHLORDIAZEPOXIDE, 35, 4, (5, 10, 10, 10)),
    ],
)
def test_split_as_even_as_the_step_allows_larger_last(formulation, total, n, expected) -> None:
    assert split_daily(D(total), n, formulation) == tuple(D(x) for x in expected)


def test_split_refuses_a_total_off_the_step() -> None:
    with pytest.raises(FormulationError, match="round it down first"):
        split_daily(D("7.5"), 2, DIAZEPAM)
    with pytest.raises(FormulationError):
        split_daily(D(12), 2, CHLORDIAZEPOXIDE)


@pytest.mark.parametrize(
    ("formulation", "dose", "expected"),
    [
        (DIAZEPAM, 7, [(5, "1"), (2, "1")]),  # tapering.md section 3
        (DIAZEPAM, 1, [(2, "0.5")]),  # tapering.md section 3
        (DIAZEPAM, 3, [(2, "1.5")]),
        (DIAZEPAM, 8, [(2, "4")]),  # whole tablets before a halved one
        (DIAZEPAM, 20, [(10, "2")]),
        (DIAZEPAM, 17, [(10, "1"), (5, "1"), (2, "1")]),
        (DIAZEPAM, 0, []),
        (CHLORDIAZEPOXIDE, 30, [(25, "1"), (5, "1")]),
        (CHLORDIAZEPOXIDE, 40, [(25, "1"), (10, "1"), (5, "1")]),
        (CHLORDIAZEPOXIDE, 50, [(25, "2")]),
    ],
)
def test_breakdown(formulation, dose, expected) -> None:
    assert breakdown(D(dose), formulation) == tuple(Unit(D(s), D(c)) for s, c in expected)


def test_breakdown_refuses_a_dose_the_forms_cannot_make() -> None:
    with pytest.raises(FormulationError, match="not a multiple"):
        breakdown(D("2.5"), DIAZEPAM)
    with pytest.raises(FormulationError):
        breakdown(D(12), CHLORDIAZEPOXIDE)


def test_describe_units() -> None:
    assert describe_units(breakdown(D(7), DIAZEPAM), DIAZEPAM) == "1 x 5 mg + 1 x 2 mg tablet"
    assert describe_units(breakdown(D(1), DIAZEPAM), DIAZEPAM) == "half a 2 mg tablet"
    assert describe_units(breakdown(D(3), DIAZEPAM), DIAZEPAM) == "1 x 2 mg + half a 2 mg tablet"


def test_dispense_totals_count_halves_and_round_up_whole_tablets() -> None:
    # 3 days of 7 mg (5 + 2) twice a day, then 3 days of 1 mg (half a 2 mg tablet) once a day.
    totals = dispense_totals(DIAZEPAM, [(3, [D(7), D(7)]), (3, [D(1)])])
    assert totals == (
        DispenseTotal(D(5), D(6), 6),
        DispenseTotal(D(2), D("7.5"), 8),
    )


def test_format_mg() -> None:
    assert [format_mg(D(x)) for x in ("7", "7.50", "80.00", "1E+1", "0.5")] == [
        "7",
        "7.5",
        "80",
        "10",
        "0.5",
    ]


formulations = st.sampled_from([DIAZEPAM, CHLORDIAZEPOXIDE])


@settings(max_examples=150, deadline=None)
@given(formulations, st.integers(0, 60), st.integers(1, 4))
def test_split_properties(formulation, steps, n) -> None:
    total = formulation.dose_step_mg * steps
    doses = split_daily(total, n, formulation)
    assert sum(doses) == total
    assert len(doses) == n
    assert list(doses) == sorted(doses)
    assert doses[-1] - doses[0] <= formulation.dose_step_mg
    assert all(d % formulation.dose_step_mg == 0 for d in doses)


@settings(max_examples=150, deadline=None)
@given(formulations, st.integers(0, 100))
def test_breakdown_properties(formulation, steps) -> None:
    dose = formulation.dose_step_mg * steps
    units = breakdown(dose, formulation)
    assert sum(u.strength_mg * u.count for u in units) == dose
    for u in units:
        assert u.strength_mg in formulation.strengths_mg
        assert u.count > 0
        if u.count != int(u.count):
            assert u.strength_mg in formulation.halvable_mg
            assert u.count % 1 == D("0.5")  # never two halves where one tablet would do


@settings(max_examples=150, deadline=None)
@given(formulations, st.decimals(min_value=0, max_value=500, places=2))
def test_round_down_properties(formulation, total) -> None:
    rounded = round_down(total, formulation)
    assert rounded <= total
    assert total - rounded < formulation.dose_step_mg
    assert rounded % formulation.dose_step_mg == 0
