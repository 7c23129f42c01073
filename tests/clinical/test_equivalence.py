"""Tests for clinical.equivalence against /work/shared/domain/equivalence.md."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical.equivalence import (
    AGENTS,
    CHLORDIAZEPOXIDE_PER_DIAZEPAM,
    DEFAULT_TABLE_ID,
    HALF_LIVES,
    SHORT_ACTING,
    TABLE_CHOICES,
    TABLES,
    WITHDRAWAL_RISK_LABELS,
    DoseBand,
    EquivalenceError,
    Factor,
    HalfLife,
    UnknownAgentError,
    UnknownTableError,
    WithdrawalRisk,
    convert,
    convert_regimen,
    dose_band,
    is_short_acting,
    regimen_dose_band,
    to_target_agent,
    withdrawal_risk,
)

D = Decimal
TABLE_IDS = ("ashton-2002", "va-dod-2021", "who-2009", "nhs-scotland")

# equivalence.md "Tables", copied cell by cell (columns in TABLE_IDS order; "-" = absent).
EXPECTED_CELLS: dict[str, tuple[str, str, str, str]] = {
    "alprazolam": ("0.5", "1", "1", "-"),
    "bromazepam": ("-", "-", "6", "-"),
    "chlordiazepoxide": ("25", "25", "-", "25"),
    "clobazam": ("-", "-", "20", "20"),
    "clonazepam": ("0.5", "1", "-", "0.5"),
    "clorazepate": ("15", "15", "-", "-"),
    "diazepam": ("10", "10", "10", "10"),
    "estazolam": ("1-2", "1", "-", "-"),
    "flunitrazepam": ("-", "-", "2", "-"),
    "flurazepam": ("15-30", "15", "-", "-"),
    "loprazolam": ("-", "-", "-", "1-2"),
    "lorazepam": ("1", "2", "1", "1"),
    "lormetazepam": ("-", "-", "1.5", "1-2"),
    "midazolam": ("-", "-", "5", "-"),
    "nitrazepam": ("-", "-", "10", "10"),
    "oxazepam": ("20", "30", "30", "20"),
    "quazepam": ("20", "10", "-", "-"),
    "temazepam": ("20", "15", "20", "20"),
    "triazolam": ("0.5", "0.25", "0.5", "-"),
    "zolpidem": ("-", "-", "-", "20"),
    "zopiclone": ("-", "-", "-", "15"),
}

PRESENT = [
    (agent, table_id, cell)
    for agent, cells in EXPECTED_CELLS.items()
    for table_id, cell in zip(TABLE_IDS, cells, strict=True)
    if cell != "-"
]
ABSENT = [
    (agent, table_id)
    for agent, cells in EXPECTED_CELLS.items()
    for table_id, cell in zip(TABLE_IDS, cells, strict=True)
    if cell == "-"
]


def _factor(cell: str) -> Factor:
    low, _, high = cell.partition("-")
    return Factor(D(low), D(high or low))


# --- tables -----------------------------------------------------------------


def test_table_ids_and_default() -> None:
    assert tuple(TABLES) == TABLE_IDS
    assert DEFAULT_TABLE_ID == "ashton-2002"
    assert tuple(table_id for table_id, _ in TABLE_CHOICES) == TABLE_IDS
    assert all(title for _, title in TABLE_CHOICES)


def test_agents_are_every_agent_sorted() -> None:
    assert tuple(sorted(EXPECTED_CELLS)) == AGENTS


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_table_has_exactly_the_listed_agents(table_id: str) -> None:
    expected = {agent for agent, tid, _ in PRESENT if tid == table_id}
    assert set(TABLES[table_id].factors) == expected


@pytest.mark.parametrize(("agent", "table_id", "cell"), PRESENT)
def test_every_factor_matches_source(agent: str, table_id: str, cell: str) -> None:
    factor = TABLES[table_id].factors[agent]
    assert factor == _factor(cell)
    assert factor.is_range == ("-" in cell)


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_tables_carry_version_title_and_source(table_id: str) -> None:
    table = TABLES[table_id]
    assert table.id == table_id
    assert table.version
    assert table.title
    assert table.source


def test_table_sources_cite_the_source_documents() -> None:
    assert "Table 7" in TABLES["ashton-2002"].source
    assert "Table 7" in TABLES["va-dod-2021"].source
    assert "Table 8" in TABLES["who-2009"].source
    assert "switching to diazepam" in TABLES["nhs-scotland"].source


def test_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        TABLES["x"] = TABLES["ashton-2002"]  # type: ignore[index]
    with pytest.raises(TypeError):
        TABLES["ashton-2002"].factors["x"] = Factor(D(1), D(1))  # type: ignore[index]


@pytest.mark.parametrize(("low", "high"), [(D(0), D(1)), (D(2), D(1)), (D(-1), D(1))])
def test_factor_rejects_nonsense(low: Decimal, high: Decimal) -> None:
    with pytest.raises(ValueError, match="invalid factor"):
        Factor(low, high)


# --- convert --------------------------------------------------------------


@pytest.mark.parametrize(("agent", "table_id"), ABSENT)
def test_missing_cell_is_refused(agent: str, table_id: str) -> None:
    with pytest.raises(UnknownAgentError) as excinfo:
        convert(agent, D(10), table_id)
    err = excinfo.value
    assert err.agent == agent
    assert err.table_id == table_id
    assert str(err) == (
        f"No conversion for {agent} in table {table_id}: titrate to the lowest dose that "
        "controls withdrawal (2025 Joint Guideline)."
    )


def test_agent_in_no_table_says_so() -> None:
    with pytest.raises(UnknownAgentError) as excinfo:
        convert("Phenobarbital", D(30), "who-2009")
    err = excinfo.value
    assert err.agent == "phenobarbital"
    assert err.table_id == "who-2009"
    message = str(err)
    assert "phenobarbital" in message
    assert "who-2009" in message
    assert "is not in any equivalence table" in message
    assert "titrate to the lowest dose that controls withdrawal" in message


def test_unknown_agent_is_a_value_error() -> None:
    assert issubclass(UnknownAgentError, EquivalenceError)
    assert issubclass(UnknownTableError, EquivalenceError)
    assert issubclass(EquivalenceError, ValueError)


def test_unknown_table() -> None:
    with pytest.raises(UnknownTableError) as excinfo:
        convert("diazepam", D(10), "bnf-2024")
    message = str(excinfo.value)
    assert "bnf-2024" in message
    for table_id in TABLE_IDS:
        assert table_id in message


def test_unknown_table_in_regimen_even_when_empty() -> None:
    with pytest.raises(UnknownTableError):
        convert_regimen([], "nope")


@pytest.mark.parametrize("dose", [D("-0.01"), D(-10), D("NaN"), D("Infinity")])
def test_bad_dose_rejected(dose: Decimal) -> None:
    with pytest.raises(EquivalenceError):
        convert("diazepam", dose)


@pytest.mark.parametrize("dose", [10, 10.0, "10", True])
def test_non_decimal_dose_rejected(dose: object) -> None:
    with pytest.raises(EquivalenceError, match="Decimal"):
        convert("diazepam", dose)  # type: ignore[arg-type]


def test_zero_dose_is_zero() -> None:
    result = convert("lorazepam", D(0))
    assert result.diazepam_mg == D(0)
    assert result.range_mg == (D(0), D(0))
    assert result.cross_table_range_mg == (D(0), D(0))


def test_agent_name_is_normalised() -> None:
    result = convert("  LoRaZePaM ", D(2))
    assert result.agent == "lorazepam"
    assert result.diazepam_mg == D(20)


def test_midazolam_oral_alias() -> None:
    assert convert("Midazolam (oral)", D(5), "who-2009").diazepam_mg == D(10)


def test_conversion_records_table_and_factor() -> None:
    result = convert("alprazolam", D(4))
    assert result.agent == "alprazolam"
    assert result.daily_dose_mg == D(4)
    assert result.table_id == "ashton-2002"
    assert result.table_version == TABLES["ashton-2002"].version
    assert result.factor == Factor(D("0.5"), D("0.5"))
    assert result.diazepam_mg == D(80)
    assert result.range_mg == (D(80), D(80))


def test_other_tables_and_cross_table_range() -> None:
    result = convert("alprazolam", D(4))
    # Ashton 0.5 -> 80; VA/DoD 1 -> 40; WHO 1 -> 40; NHS Scotland does not list it.
    assert dict(result.other_tables) == {
        "va-dod-2021": (D(40), D(40)),
        "who-2009": (D(40), D(40)),
    }
    assert result.cross_table_range_mg == (D(40), D(80))
    assert result.table_spread == D(1)


def test_other_tables_excludes_chosen_table() -> None:
    result = convert("diazepam", D(10), "who-2009")
    assert set(result.other_tables) == {"ashton-2002", "va-dod-2021", "nhs-scotland"}
    assert result.table_spread == D(0)


@pytest.mark.parametrize(
    ("agent", "table_id", "dose", "point", "high"),
    [
        # factor 1-2 mg: 2 mg/day -> diazepam 10 to 20
        ("estazolam", "ashton-2002", D(2), D(10), D(20)),
        # factor 15-30 mg: 30 mg/day -> diazepam 10 to 20
        ("flurazepam", "ashton-2002", D(30), D(10), D(20)),
        ("loprazolam", "nhs-scotland", D(2), D(10), D(20)),
        ("lormetazepam", "nhs-scotland", D(2), D(10), D(20)),
    ],
)
def test_range_point_is_lower_diazepam_figure(
    agent: str, table_id: str, dose: Decimal, point: Decimal, high: Decimal
) -> None:
    result = convert(agent, dose, table_id)
    assert result.factor.is_range
    assert result.diazepam_mg == point
    assert result.range_mg == (point, high)


def test_who_worked_examples() -> None:
    assert convert("lorazepam", D(4), "who-2009").diazepam_mg == D(40)
    assert convert("temazepam", D(60), "who-2009").diazepam_mg == D(30)


def test_rounds_down_to_hundredth_mg() -> None:
    # WHO lormetazepam 1.5 mg = diazepam 10: 1 mg -> 6.666... -> 6.66, never 6.67.
    result = convert("lormetazepam", D(1), "who-2009")
    assert result.diazepam_mg == D("6.66")
    assert result.diazepam_mg.as_tuple().exponent == -2
    # NHS Scotland range 1-2 mg: 1 mg -> 5 to 10, and the cross-table range spans WHO too.
    assert result.other_tables["nhs-scotland"] == (D(5), D(10))
    assert result.cross_table_range_mg == (D(5), D(10))


# --- regimen ----------------------------------------------------------------


def test_regimen_sum() -> None:
    result = convert_regimen([("alprazolam", D(4)), ("lorazepam", D(2))], "ashton-2002")
    assert [c.diazepam_mg for c in result.conversions] == [D(80), D(20)]
    assert result.total_diazepam_mg == D(100)
    assert result.total_range_mg == (D(100), D(100))
    assert result.table_id == "ashton-2002"
    assert result.table_version == TABLES["ashton-2002"].version
    # alprazolam 40-80 (spread 100%), lorazepam 10-20 (VA/DoD 2 mg; spread 100%).
    assert result.cross_table_range_mg == (D(50), D(100))
    assert result.max_table_spread == D(1)


def test_regimen_spread_is_the_largest() -> None:
    # temazepam 15-20 mg across tables: 20/15 - 1 = one third; diazepam: no spread.
    result = convert_regimen([("temazepam", D(20)), ("diazepam", D(5))])
    assert result.max_table_spread == D(20) / D(15) - 1
    assert result.max_table_spread > D("0.25")


def test_regimen_without_spread() -> None:
    result = convert_regimen([("diazepam", D(10)), ("chlordiazepoxide", D(25))])
    assert result.max_table_spread == D(0)
    assert result.total_diazepam_mg == D(20)


def test_regimen_ignores_spread_of_zero_doses() -> None:
    result = convert_regimen([("alprazolam", D(0)), ("diazepam", D(10))])
    assert result.max_table_spread == D(0)


def test_empty_regimen() -> None:
    result = convert_regimen([])
    assert result.conversions == ()
    assert result.total_diazepam_mg == D(0)
    assert result.total_range_mg == (D(0), D(0))
    assert result.cross_table_range_mg == (D(0), D(0))
    assert result.max_table_spread == D(0)


def test_regimen_propagates_missing_cell() -> None:
    with pytest.raises(UnknownAgentError) as excinfo:
        convert_regimen([("diazepam", D(10)), ("zopiclone", D("7.5"))], "ashton-2002")
    assert excinfo.value.agent == "zopiclone"


# --- target agent -------------------------------------------------------------


def test_chlordiazepoxide_ratio() -> None:
    assert D("2.5") == CHLORDIAZEPOXIDE_PER_DIAZEPAM
    assert to_target_agent(D(10), "chlordiazepoxide") == D(25)
    assert to_target_agent(D(10), " Diazepam ") == D(10)
    assert to_target_agent(D("0.01"), "chlordiazepoxide") == D("0.02")


@pytest.mark.parametrize("target", ["lorazepam", "phenobarbital", ""])
def test_other_target_agent_rejected(target: str) -> None:
    with pytest.raises(EquivalenceError):
        to_target_agent(D(10), target)


def test_target_agent_rejects_negative() -> None:
    with pytest.raises(EquivalenceError):
        to_target_agent(D(-1), "diazepam")


# --- half-lives and short-acting ------------------------------------------------


def test_half_lives_match_source() -> None:
    expected = {
        "alprazolam": ("6", "12", None, None),
        "chlordiazepoxide": ("5", "30", "36", "200"),
        "clonazepam": ("18", "50", None, None),
        "clorazepate": ("36", "100", None, None),
        "diazepam": ("20", "100", "36", "200"),
        "estazolam": ("10", "24", None, None),
        "flurazepam": ("40", "250", None, None),
        "lorazepam": ("10", "20", None, None),
        "oxazepam": ("4", "15", None, None),
        "temazepam": ("8", "22", None, None),
        "triazolam": ("2", "2", None, None),
        "zolpidem": ("2", "2", None, None),
        "zopiclone": ("5", "6", None, None),
        "clobazam": ("12", "60", None, None),
        "nitrazepam": ("15", "38", None, None),
        "lormetazepam": ("10", "12", None, None),
        "loprazolam": ("6", "12", None, None),
    }
    assert dict(HALF_LIVES) == {
        agent: HalfLife(D(pl), D(ph), None if ml is None else D(ml), None if mh is None else D(mh))
        for agent, (pl, ph, ml, mh) in expected.items()
    }


def test_short_acting_set_exactly_as_listed() -> None:
    listed = (
        "alprazolam, lorazepam, oxazepam, temazepam, triazolam, lormetazepam, loprazolam, "
        "midazolam, zolpidem, zopiclone"
    )
    assert frozenset(listed.split(", ")) == SHORT_ACTING


@pytest.mark.parametrize("agent", sorted(SHORT_ACTING))
def test_short_acting_agents(agent: str) -> None:
    assert is_short_acting(agent)
    assert is_short_acting(f" {agent.upper()} ")


@pytest.mark.parametrize(
    "agent", ["diazepam", "chlordiazepoxide", "clonazepam", "estazolam", "clobazam", "unknown"]
)
def test_not_short_acting(agent: str) -> None:
    assert not is_short_acting(agent)


def test_short_acting_consistent_with_half_lives() -> None:
    # equivalence.md: parent upper bound under 24 h and no long active metabolite.
    for agent in SHORT_ACTING & set(HALF_LIVES):
        half_life = HALF_LIVES[agent]
        assert half_life.parent_high_h < 24
        assert half_life.metabolite_high_h is None


# --- dose bands -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mg", "band"),
    [
        (D(0), DoseBand.LOW),
        (D(10), DoseBand.LOW),
        (D("10.01"), DoseBand.MODERATE),
        (D(15), DoseBand.MODERATE),
        (D("15.01"), DoseBand.HIGH),
        (D(80), DoseBand.HIGH),
    ],
)
def test_dose_band(mg: Decimal, band: DoseBand) -> None:
    assert dose_band(mg) is band


def test_dose_band_rejects_negative() -> None:
    with pytest.raises(EquivalenceError):
        dose_band(D(-1))


# --- withdrawal risk --------------------------------------------------------------

RARE, LOWER, EXPECTED = WithdrawalRisk.RARE, WithdrawalRisk.LOWER, WithdrawalRisk.EXPECTED


def test_withdrawal_risk_labels() -> None:
    assert dict(WITHDRAWAL_RISK_LABELS) == {
        RARE: "Rare",
        LOWER: "Lower but possible",
        EXPECTED: "Expected",
    }
    assert [r.value for r in WithdrawalRisk] == ["rare", "lower", "expected"]
    assert [b.value for b in DoseBand] == ["low", "moderate", "high"]


MATRIX = [
    # <= 3 days a week: rare, whatever the duration and dose
    *[(days, months, band, RARE) for days in (0, 1, 3) for months in ("0", "1", "3", "24")
      for band in DoseBand],
    # >= 4 days a week, < 1 month: lower but possible at any dose
    *[(days, months, band, LOWER) for days in (4, 7) for months in ("0", "0.99")
      for band in DoseBand],
    # 1 to < 3 months: low dose lower, moderate/high expected
    *[(days, months, DoseBand.LOW, LOWER) for days in (4, 7) for months in ("1", "2", "2.99")],
    *[(days, months, band, EXPECTED) for days in (4, 7) for months in ("1", "2", "2.99")
      for band in (DoseBand.MODERATE, DoseBand.HIGH)],
    # >= 3 months: expected at any dose
    *[(days, months, band, EXPECTED) for days in (4, 7) for months in ("3", "36")
      for band in DoseBand],
]  # fmt: skip


@pytest.mark.parametrize(("days", "months", "band", "risk"), MATRIX)
def test_withdrawal_risk_matrix(
    days: int, months: str, band: DoseBand, risk: WithdrawalRisk
) -> None:
    assert withdrawal_risk(days, D(months), band) is risk


def test_withdrawal_risk_boundaries() -> None:
    assert withdrawal_risk(3, D(12), DoseBand.HIGH) is RARE
    assert withdrawal_risk(4, D(12), DoseBand.HIGH) is EXPECTED
    assert withdrawal_risk(4, D("0.99"), DoseBand.HIGH) is LOWER
    assert withdrawal_risk(4, D(1), DoseBand.HIGH) is EXPECTED
    assert withdrawal_risk(4, D("2.99"), DoseBand.LOW) is LOWER
    assert withdrawal_risk(4, D(3), DoseBand.LOW) is EXPECTED


def test_withdrawal_risk_accepts_band_value() -> None:
    assert withdrawal_risk(5, D(2), "moderate") is EXPECTED  # type: ignore[arg-type]


def test_withdrawal_risk_rejects_unknown_band() -> None:
    with pytest.raises(EquivalenceError, match="dose band"):
        withdrawal_risk(5, D(2), "extreme")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("days", "months"),
    [(-1, D(1)), (8, D(1)), (4, D(-1)), (4, D("NaN")), (True, D(1)), (4.0, D(1)), (4, 1)],
)
def test_withdrawal_risk_rejects_bad_input(days: object, months: object) -> None:
    with pytest.raises(EquivalenceError):
        withdrawal_risk(days, months, DoseBand.LOW)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------

doses = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
cells = st.sampled_from([(agent, table_id) for agent, table_id, _ in PRESENT])
table_ids = st.sampled_from(TABLE_IDS)


@given(cell=cells, dose=doses)
def test_conversion_is_linear_in_dose(cell: tuple[str, str], dose: Decimal) -> None:
    agent, table_id = cell
    single = convert(agent, dose, table_id)
    double = convert(agent, dose * 2, table_id)
    # Each result is floored to 0.01 mg, so doubling can differ by at most one hundredth.
    assert D(0) <= double.diazepam_mg - 2 * single.diazepam_mg <= D("0.01")
    assert D(0) <= double.range_mg[1] - 2 * single.range_mg[1] <= D("0.01")


@given(cell=cells, dose=doses)
def test_point_within_ranges(cell: tuple[str, str], dose: Decimal) -> None:
    agent, table_id = cell
    result = convert(agent, dose, table_id)
    low, high = result.range_mg
    assert result.diazepam_mg == low <= high
    cross_low, cross_high = result.cross_table_range_mg
    assert cross_low <= low <= high <= cross_high
    for other_low, other_high in result.other_tables.values():
        assert cross_low <= other_low <= other_high <= cross_high
    # Rounding down: never above the exact figure.
    assert result.diazepam_mg <= dose * 10 / result.factor.high


@pytest.mark.parametrize(
    "table_id", [t for t in TABLE_IDS if "chlordiazepoxide" in TABLES[t].factors]
)
def test_chlordiazepoxide_25_is_diazepam_10(table_id: str) -> None:
    assert convert("chlordiazepoxide", D(25), table_id).range_mg == (D(10), D(10))


@given(table_id=table_ids, dose=doses)
def test_chlordiazepoxide_round_trip(table_id: str, dose: Decimal) -> None:
    if "chlordiazepoxide" not in TABLES[table_id].factors:
        return
    multiples = dose.quantize(D(1)) * 25
    result = convert("chlordiazepoxide", multiples, table_id)
    assert result.diazepam_mg == multiples / CHLORDIAZEPOXIDE_PER_DIAZEPAM
    assert to_target_agent(result.diazepam_mg, "chlordiazepoxide") == multiples


@given(
    items=st.lists(st.tuples(st.sampled_from(AGENTS), doses), max_size=6),
    table_id=table_ids,
)
def test_regimen_total_is_sum_of_items(items: list[tuple[str, Decimal]], table_id: str) -> None:
    listed = [(agent, dose) for agent, dose in items if agent in TABLES[table_id].factors]
    result = convert_regimen(listed, table_id)
    assert len(result.conversions) == len(listed)
    assert result.total_diazepam_mg == sum((c.diazepam_mg for c in result.conversions), D(0))
    assert result.total_range_mg[0] == result.total_diazepam_mg
    assert result.total_range_mg[1] == sum((c.range_mg[1] for c in result.conversions), D(0))
    assert result.cross_table_range_mg == (
        sum((c.cross_table_range_mg[0] for c in result.conversions), D(0)),
        sum((c.cross_table_range_mg[1] for c in result.conversions), D(0)),
    )
    assert result.total_diazepam_mg <= result.total_range_mg[1]
    assert result.max_table_spread >= 0
    for conversion, (agent, dose) in zip(result.conversions, listed, strict=True):
        assert conversion == convert(agent, dose, table_id)


# --- Unknown dose: an unconverted agent (issue 20 item 1) -------------------------------------


@pytest.mark.parametrize(
    ("known", "band"),
    [
        (D(0), None),
        (D(10), None),
        (D(15), None),
        (D("15.01"), DoseBand.HIGH),
        (D(80), DoseBand.HIGH),
    ],
)
def test_regimen_band_with_an_unconverted_agent_is_unknown_unless_already_high(
    known: Decimal, band: DoseBand | None
) -> None:
    # The known part is a lower bound: only "high" (the top band) is certain from it.
    assert regimen_dose_band(known, any_unconverted=True) is band


def test_regimen_band_without_unconverted_agents_is_the_plain_band() -> None:
    assert regimen_dose_band(D(0), any_unconverted=False) is DoseBand.LOW
    assert regimen_dose_band(D(12), any_unconverted=False) is DoseBand.MODERATE


def test_withdrawal_risk_with_unknown_band_is_unknown_only_where_the_band_matters() -> None:
    assert withdrawal_risk(3, D(12), None) is RARE
    assert withdrawal_risk(7, D("0.5"), None) is LOWER
    assert withdrawal_risk(7, D(2), None) is None
    assert withdrawal_risk(7, D(12), None) is EXPECTED
