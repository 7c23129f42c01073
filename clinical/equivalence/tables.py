"""Equivalence tables: mg of each agent equivalent to 10 mg oral diazepam, per source table.

Source: /work/shared/domain/equivalence.md "Tables" (2025 Joint Guideline Table 7 with the
Ashton 2002 and VA/DoD 2021 columns; WHO 2009 Table 8; NHS Scotland Right Decisions,
"switching to diazepam"). Part of ``clinical.equivalence`` (module version 2: see the package
docstring); each table carries its own ``version`` string.

Pure domain code: no Django, no clock, milligrams as ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
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
