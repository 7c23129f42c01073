"""Conversion of an agent's (or a regimen's) daily dose to diazepam equivalents and back.

Source: /work/shared/domain/equivalence.md "Tables" and "Chlordiazepoxide"; tapering.md 1.1
and 1.4 (sum of the regimen, expressed in the taper agent). Part of ``clinical.equivalence``
(module version 2: see the package docstring).

Pure domain code: no Django, no clock, milligrams as ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from types import MappingProxyType

from clinical.equivalence.tables import (
    _MG,
    _TABLE_LIST,
    _ZERO,
    CHLORDIAZEPOXIDE_PER_DIAZEPAM,
    DEFAULT_TABLE_ID,
    DIAZEPAM_REFERENCE_MG,
    EquivalenceError,
    Factor,
    UnknownAgentError,
    _check_mg,
    _normalise_agent,
    _table,
)


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
