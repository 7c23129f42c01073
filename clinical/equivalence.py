"""Benzodiazepine dose equivalence, half-lives, daily-dose bands and withdrawal risk.

Source: /work/shared/domain/equivalence.md (the project's clinical source of truth), which
transcribes:
- 2025 Joint Guideline (Joint Clinical Practice Guideline on Benzodiazepine Tapering, ASAM and
  nine societies, J Gen Intern Med 2025), Table 7 (Ashton 2002 and VA/DoD 2021 columns) and
  Table 2 (daily-dose bands and withdrawal-risk matrix);
- WHO 2009 Clinical Guidelines for Withdrawal Management and Treatment of Drug Dependence in
  Closed Settings, Table 8;
- NHS Scotland Right Decisions, "switching to diazepam".

Module version: 2 (1: equivalence.md as of the first release; 2: a regimen with an agent that
is not converted has no dose band unless its known part is already high, and its withdrawal
risk is unknown where the Table 2 matrix depends on the band: ``regimen_dose_band``). Each
table carries its own ``version`` string, stored with every conversion so a signed plan can be
reproduced; a changed table must get a new version rather than an edited one.

Pure domain code: no Django, no clock, milligrams as ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from types import MappingProxyType

CHLORDIAZEPOXIDE_PER_DIAZEPAM: Decimal = Decimal("2.5")
"""equivalence.md "Chlordiazepoxide": every table agrees 25 mg chlordiazepoxide = 10 mg diazepam."""

DIAZEPAM_REFERENCE_MG: Decimal = Decimal("10")
"""equivalence.md "Tables": factors are mg of agent equivalent to 10 mg oral diazepam."""

DEFAULT_TABLE_ID = "ashton-2002"
"""equivalence.md "Default table": the Ashton method is the reference for diazepam substitution."""

_MG = Decimal("0.01")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Factor:
    """Mg of an agent equivalent to 10 mg oral diazepam; ``low == high`` for a single figure."""

    low: Decimal
    high: Decimal

    def __post_init__(self) -> None:
        if not (_ZERO < self.low <= self.high):
            raise ValueError(f"invalid factor {self.low}-{self.high}")

    @property
    def is_range(self) -> bool:
        return self.low != self.high


@dataclass(frozen=True)
class EquivalenceTable:
    id: str
    version: str
    title: str
    source: str
    factors: Mapping[str, Factor]


class EquivalenceError(ValueError):
    """A conversion that cannot be made; the message is meant for the clinician."""


class UnknownTableError(EquivalenceError):
    def __init__(self, table_id: str) -> None:
        self.table_id = table_id
        valid = ", ".join(sorted(TABLES))
        super().__init__(f"Unknown equivalence table {table_id!r}; valid tables: {valid}.")


class UnknownAgentError(EquivalenceError):
    """Refusal to guess: equivalence.md, quoting the 2025 Joint Guideline."""

    def __init__(self, agent: str, table_id: str) -> None:
        self.agent = agent
        self.table_id = table_id
        advice = "titrate to the lowest dose that controls withdrawal (2025 Joint Guideline)."
        if agent in AGENTS:
            message = f"No conversion for {agent} in table {table_id}: {advice}"
        else:
            message = (
                f"No conversion for {agent} in table {table_id}: {agent} is not in any "
                f"equivalence table; {advice}"
            )
        super().__init__(message)


_TABLE7_SOURCE = (
    "Joint Clinical Practice Guideline on Benzodiazepine Tapering (ASAM and nine societies, "
    "2025), Table 7, which reproduces the Ashton Manual (2002, table rev. 2007) and the VA/DoD "
    "SUD guideline (2021) side by side."
)

# (id, version, title, source): column order of _CELLS below.
_TABLE_META: tuple[tuple[str, str, str, str], ...] = (
    ("ashton-2002", "2025-table7", "Ashton Manual (2002, rev. 2007)", _TABLE7_SOURCE),
    ("va-dod-2021", "2025-table7", "VA/DoD SUD guideline (2021)", _TABLE7_SOURCE),
    (
        "who-2009",
        "2009-table8",
        "WHO 2009, closed settings (Table 8)",
        "WHO Clinical Guidelines for Withdrawal Management and Treatment of Drug Dependence "
        "in Closed Settings (2009), Table 8 (printed per 5 mg diazepam).",
    ),
    (
        "nhs-scotland",
        "right-decisions-switching-to-diazepam",
        "NHS Scotland Right Decisions: switching to diazepam",
        'NHS Scotland Right Decisions, "switching to diazepam" (adapted from Ashton, '
        "Maudsley and UKMi; printed per 5 mg).",
    ),
)

# equivalence.md "Tables", row for row so it can be checked against the source by eye (values
# per 5 mg there are already doubled). "-" is a cell the source leaves empty: it is left out of
# the table, never filled in from another one.
_CELLS: tuple[tuple[str, str, str, str, str], ...] = (
    # agent              ashton-2002  va-dod-2021  who-2009  nhs-scotland
    ("alprazolam",       "0.5",       "1",         "1",      "-"),
    ("bromazepam",       "-",         "-",         "6",      "-"),
    ("chlordiazepoxide", "25",        "25",        "-",      "25"),
    ("clobazam",         "-",         "-",         "20",     "20"),
    ("clonazepam",       "0.5",       "1",         "-",      "0.5"),
    ("clorazepate",      "15",        "15",        "-",      "-"),
    ("diazepam",         "10",        "10",        "10",     "10"),
    ("estazolam",        "1-2",       "1",         "-",      "-"),
    ("flunitrazepam",    "-",         "-",         "2",      "-"),
    ("flurazepam",       "15-30",     "15",        "-",      "-"),
    ("loprazolam",       "-",         "-",         "-",      "1-2"),
    ("lorazepam",        "1",         "2",         "1",      "1"),
    ("lormetazepam",     "-",         "-",         "1.5",    "1-2"),
    ("midazolam",        "-",         "-",         "5",      "-"),  # "midazolam (oral)"
    ("nitrazepam",       "-",         "-",         "10",     "10"),
    ("oxazepam",         "20",        "30",        "30",     "20"),
    ("quazepam",         "20",        "10",        "-",      "-"),
    ("temazepam",        "20",        "15",        "20",     "20"),
    ("triazolam",        "0.5",       "0.25",      "0.5",    "-"),
    ("zolpidem",         "-",         "-",         "-",      "20"),
    ("zopiclone",        "-",         "-",         "-",      "15"),
)  # fmt: skip


def _parse_range(cell: str) -> tuple[Decimal, Decimal]:
    low, _, high = cell.partition("-")
    return Decimal(low), Decimal(high or low)


def _build_table(column: int) -> EquivalenceTable:
    table_id, version, title, source = _TABLE_META[column]
    factors = {
        row[0]: Factor(*_parse_range(row[column + 1])) for row in _CELLS if row[column + 1] != "-"
    }
    return EquivalenceTable(table_id, version, title, source, MappingProxyType(factors))


_TABLE_LIST: tuple[EquivalenceTable, ...] = tuple(
    _build_table(column) for column in range(len(_TABLE_META))
)
TABLES: Mapping[str, EquivalenceTable] = MappingProxyType({t.id: t for t in _TABLE_LIST})
AGENTS: tuple[str, ...] = tuple(sorted({a for t in _TABLE_LIST for a in t.factors}))
TABLE_CHOICES: tuple[tuple[str, str], ...] = tuple((t.id, t.title) for t in _TABLE_LIST)

# equivalence.md names the agent "midazolam (oral)"; the tables key it as "midazolam".
_ALIASES: Mapping[str, str] = MappingProxyType({"midazolam (oral)": "midazolam"})


def _normalise_agent(agent: str) -> str:
    name = agent.strip().lower()
    return _ALIASES.get(name, name)


def _table(table_id: str) -> EquivalenceTable:
    try:
        return TABLES[table_id]
    except KeyError:
        raise UnknownTableError(table_id) from None


def _check_mg(value: Decimal, what: str) -> None:
    if not isinstance(value, Decimal):
        raise EquivalenceError(f"{what} must be a Decimal in mg, got {type(value).__name__}.")
    if not value.is_finite() or value < 0:
        raise EquivalenceError(f"{what} must be a finite number of mg >= 0, got {value}.")


def _floor_mg(value: Decimal) -> Decimal:
    # Round down, never to nearest: equivalence is approximate and the sources disagree up to
    # two-fold, so a rounded figure must never overstate the dose a patient would be given.
    return value.quantize(_MG, rounding=ROUND_DOWN)


def _diazepam_range(daily_dose_mg: Decimal, factor: Factor) -> tuple[Decimal, Decimal]:
    # A larger factor (more agent per 10 mg diazepam) yields the smaller diazepam figure.
    scaled = daily_dose_mg * DIAZEPAM_REFERENCE_MG
    return _floor_mg(scaled / factor.high), _floor_mg(scaled / factor.low)


@dataclass(frozen=True)
class Conversion:
    agent: str
    daily_dose_mg: Decimal
    table_id: str
    table_version: str
    factor: Factor
    diazepam_mg: Decimal
    range_mg: tuple[Decimal, Decimal]
    other_tables: Mapping[str, tuple[Decimal, Decimal]]
    cross_table_range_mg: tuple[Decimal, Decimal]

    @property
    def table_spread(self) -> Decimal:
        """(high - low) / low of the agent's factors over all tables listing it, as a fraction.

        Taken from the factors, not the rounded mg, so the ratio does not depend on the dose.
        """
        factors = [t.factors[self.agent] for t in _TABLE_LIST if self.agent in t.factors]
        lowest = min(f.low for f in factors)
        highest = max(f.high for f in factors)
        return highest / lowest - 1


def convert(agent: str, daily_dose_mg: Decimal, table_id: str = DEFAULT_TABLE_ID) -> Conversion:
    """Diazepam equivalent of one agent's daily dose under ``table_id``.

    diazepam = dose x 10 / factor (equivalence.md "Tables": factors are per 10 mg diazepam).
    For a range factor the point estimate is the lower diazepam figure: start low and titrate to
    symptoms rather than oversedate (equivalence.md "Tables"). The other tables' ranges are
    returned beside it, because the physician sees them before signing (equivalence.md).
    """
    table = _table(table_id)
    name = _normalise_agent(agent)
    _check_mg(daily_dose_mg, "Daily dose")
    factor = table.factors.get(name)
    if factor is None:
        raise UnknownAgentError(name, table_id)

    chosen = _diazepam_range(daily_dose_mg, factor)
    others = {
        t.id: _diazepam_range(daily_dose_mg, t.factors[name])
        for t in _TABLE_LIST
        if t.id != table_id and name in t.factors
    }
    every = [chosen, *others.values()]
    return Conversion(
        agent=name,
        daily_dose_mg=daily_dose_mg,
        table_id=table.id,
        table_version=table.version,
        factor=factor,
        diazepam_mg=chosen[0],
        range_mg=chosen,
        other_tables=MappingProxyType(others),
        cross_table_range_mg=(min(r[0] for r in every), max(r[1] for r in every)),
    )


@dataclass(frozen=True)
class RegimenConversion:
    table_id: str
    table_version: str
    conversions: tuple[Conversion, ...]
    total_diazepam_mg: Decimal
    total_range_mg: tuple[Decimal, Decimal]
    cross_table_range_mg: tuple[Decimal, Decimal]
    max_table_spread: Decimal


def convert_regimen(
    items: Iterable[tuple[str, Decimal]], table_id: str = DEFAULT_TABLE_ID
) -> RegimenConversion:
    """Convert every (agent, daily mg) of an intake regimen and sum them (tapering.md 1.1).

    ``max_table_spread`` feeds the "other tables differ by more than 25%" warning
    (tapering.md section 4); agents at 0 mg carry no dose, so they add no spread.
    """
    table = _table(table_id)
    conversions = tuple(convert(agent, dose, table_id) for agent, dose in items)
    spreads = [c.table_spread for c in conversions if c.daily_dose_mg > 0]
    return RegimenConversion(
        table_id=table.id,
        table_version=table.version,
        conversions=conversions,
        total_diazepam_mg=sum((c.diazepam_mg for c in conversions), _ZERO),
        total_range_mg=(
            sum((c.range_mg[0] for c in conversions), _ZERO),
            sum((c.range_mg[1] for c in conversions), _ZERO),
        ),
        cross_table_range_mg=(
            sum((c.cross_table_range_mg[0] for c in conversions), _ZERO),
            sum((c.cross_table_range_mg[1] for c in conversions), _ZERO),
        ),
        max_table_spread=max(spreads, default=_ZERO),
    )


def to_target_agent(diazepam_mg: Decimal, target_agent: str) -> Decimal:
    """Express a diazepam-equivalent dose in the taper agent (tapering.md 1.4).

    Chlordiazepoxide = diazepam x 2.5 (equivalence.md "Chlordiazepoxide": 25 mg = 10 mg
    diazepam in every table that lists it). Capsule rounding belongs to the taper builder.
    """
    _check_mg(diazepam_mg, "Diazepam dose")
    target = _normalise_agent(target_agent)
    if target == "diazepam":
        return diazepam_mg
    if target == "chlordiazepoxide":
        return _floor_mg(diazepam_mg * CHLORDIAZEPOXIDE_PER_DIAZEPAM)
    raise EquivalenceError(
        f"{target_agent!r} is not a taper agent: taper with diazepam or chlordiazepoxide."
    )


@dataclass(frozen=True)
class HalfLife:
    parent_low_h: Decimal
    parent_high_h: Decimal
    metabolite_low_h: Decimal | None = None
    metabolite_high_h: Decimal | None = None


def _h(parent: str, metabolite: str | None = None) -> HalfLife:
    if metabolite is None:
        return HalfLife(*_parse_range(parent))
    return HalfLife(*_parse_range(parent), *_parse_range(metabolite))


HALF_LIVES: Mapping[str, HalfLife] = MappingProxyType(
    {
        # equivalence.md "Half-lives" (NHS Scotland table; Medscape). Hours; metabolite is the
        # active metabolite. Midazolam has no figure there, so none is given here.
        "alprazolam": _h("6-12"),
        "chlordiazepoxide": _h("5-30", "36-200"),
        "clonazepam": _h("18-50"),
        "clorazepate": _h("36-100"),
        "diazepam": _h("20-100", "36-200"),
        "estazolam": _h("10-24"),
        "flurazepam": _h("40-250"),
        "lorazepam": _h("10-20"),
        "oxazepam": _h("4-15"),
        "temazepam": _h("8-22"),
        "triazolam": _h("2"),
        "zolpidem": _h("2"),
        "zopiclone": _h("5-6"),
        "clobazam": _h("12-60"),
        "nitrazepam": _h("15-38"),
        "lormetazepam": _h("10-12"),
        "loprazolam": _h("6-12"),
    }
)

# equivalence.md "Half-lives": the listed set, taken as given rather than derived from
# HALF_LIVES, because midazolam is short-acting but has no half-life in the source.
SHORT_ACTING: frozenset[str] = frozenset({
    "alprazolam", "lorazepam", "oxazepam", "temazepam", "triazolam",
    "lormetazepam", "loprazolam", "midazolam", "zolpidem", "zopiclone",
})  # fmt: skip


def is_short_acting(agent: str) -> bool:
    """Short-acting per equivalence.md: parent half-life under 24 h, no long active metabolite."""
    return _normalise_agent(agent) in SHORT_ACTING


class DoseBand(StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


_LOW_BAND_MAX_MG = Decimal("10")
_MODERATE_BAND_MAX_MG = Decimal("15")


def dose_band(diazepam_mg: Decimal) -> DoseBand:
    """Daily-dose band in diazepam equivalents.

    2025 Joint Guideline Table 2 (via equivalence.md): low <= 10 mg, moderate > 10 to 15 mg,
    high > 15 mg.
    """
    _check_mg(diazepam_mg, "Diazepam dose")
    if diazepam_mg <= _LOW_BAND_MAX_MG:
        return DoseBand.LOW
    if diazepam_mg <= _MODERATE_BAND_MAX_MG:
        return DoseBand.MODERATE
    return DoseBand.HIGH


def regimen_dose_band(known_diazepam_mg: Decimal, *, any_unconverted: bool) -> DoseBand | None:
    """Dose band of a regimen, or None ("unknown") when an agent could not be converted.

    equivalence.md: an agent a table does not list is refused, never guessed ("titrate to the
    lowest dose that controls withdrawal", 2025 Joint Guideline), so its dose is unknown, not
    zero. The converted agents' total is then only a lower bound of the daily dose: the band
    (2025 Joint Guideline Table 2: low <= 10, moderate > 10 to 15, high > 15 mg) is known only
    when that lower bound is already in the top band (high); otherwise it is unknown.
    """
    band = dose_band(known_diazepam_mg)
    if any_unconverted and band is not DoseBand.HIGH:
        return None
    return band


class WithdrawalRisk(StrEnum):
    RARE = "rare"
    LOWER = "lower"
    EXPECTED = "expected"


WITHDRAWAL_RISK_LABELS: Mapping[WithdrawalRisk, str] = MappingProxyType(
    {
        WithdrawalRisk.RARE: "Rare",
        WithdrawalRisk.LOWER: "Lower but possible",
        WithdrawalRisk.EXPECTED: "Expected",
    }
)

_RARE_MAX_DAYS_PER_WEEK = 3
_SHORT_USE_MONTHS = Decimal("1")
_LONG_USE_MONTHS = Decimal("3")


def withdrawal_risk(
    days_per_week: int, duration_months: Decimal, band: DoseBand | None
) -> WithdrawalRisk | None:
    """Risk of clinically significant withdrawal at intake.

    2025 Joint Guideline Table 2 (via equivalence.md): <= 3 days a week: rare; >= 4 days a week
    for < 1 month: lower but possible; 1 to < 3 months: lower but possible at a low dose,
    expected at a moderate or high dose; >= 3 months: expected at any dose.

    ``band`` None means the dose is unknown (``regimen_dose_band``): the answer is given where
    the matrix does not depend on the band, and is None (unknown) where it does (1 to < 3
    months at >= 4 days a week), since guessing "low" would understate the risk.
    """
    if isinstance(days_per_week, bool) or not isinstance(days_per_week, int):
        raise EquivalenceError("Days per week must be a whole number.")
    if not 0 <= days_per_week <= 7:
        raise EquivalenceError(f"Days per week must be 0 to 7, got {days_per_week}.")
    if not isinstance(duration_months, Decimal):
        raise EquivalenceError("Duration in months must be a Decimal.")
    if not duration_months.is_finite() or duration_months < 0:
        raise EquivalenceError(f"Duration must be >= 0 months, got {duration_months}.")
    if band is not None:
        try:
            band = DoseBand(band)
        except ValueError:
            raise EquivalenceError(f"Unknown dose band {band!r}.") from None

    if days_per_week <= _RARE_MAX_DAYS_PER_WEEK:
        return WithdrawalRisk.RARE
    if duration_months < _SHORT_USE_MONTHS:
        return WithdrawalRisk.LOWER
    if duration_months < _LONG_USE_MONTHS:
        if band is None:
            return None
        return WithdrawalRisk.LOWER if band is DoseBand.LOW else WithdrawalRisk.EXPECTED
    return WithdrawalRisk.EXPECTED
