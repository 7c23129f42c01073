"""Formulations, rounding to the dose step, dose splitting and tablet/capsule breakdowns.

Source: /work/shared/domain/tapering.md, section 3 "Formulations and rounding" (tapering.md,
rules version 1; see ``clinical.taper.rules.RULES_VERSION``):

| Agent | Forms | Smallest dose step |
|---|---|---|
| diazepam | tablets 2, 5, 10 mg; a 2 mg tablet may be halved | 1 mg per dose |
| chlordiazepoxide | capsules 5, 10, 25 mg; cannot be split | 5 mg per dose |

- the daily total is rounded DOWN to the step, so the schedule never gives more than the curve;
- the total is split into the day's doses as evenly as the step allows, larger doses last
  (diazepam 30 mg QID = 7 + 7 + 8 + 8; 5 mg BID = 2 + 3);
- each dose is shown as tablets or capsules (7 mg = 1 x 5 mg + 1 x 2 mg; 1 mg = half a 2 mg
  tablet) and the plan's total count to dispense is given.

Pure domain code: no Django, no clock, milligrams as ``Decimal``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HALF = Decimal("0.5")


class FormulationError(ValueError):
    """A dose that the formulation cannot give, or an agent with no formulation."""


@dataclass(frozen=True)
class Formulation:
    """One taper agent's dispensable forms (tapering.md section 3)."""

    agent: str
    form: str
    strengths_mg: tuple[Decimal, ...]
    halvable_mg: tuple[Decimal, ...]
    dose_step_mg: Decimal
    source: str

    def __post_init__(self) -> None:
        # Every piece (whole or halved) must be a whole number of steps, or a dose that is a
        # multiple of the step could be impossible to make up.
        for piece in self._pieces():
            if piece % self.dose_step_mg:
                raise ValueError(f"{self.agent}: {piece} mg is not a multiple of the dose step")
        if not set(self.halvable_mg) <= set(self.strengths_mg):
            raise ValueError(f"{self.agent}: only listed strengths may be halved")

    @property
    def smallest_dose_mg(self) -> Decimal:
        """The smallest single dose the formulation gives (diazepam 1 mg, chlordiazepoxide 5)."""
        return self.dose_step_mg

    def _pieces(self) -> tuple[Decimal, ...]:
        return (*self.strengths_mg, *(s * _HALF for s in self.halvable_mg))


FORMULATIONS: Mapping[str, Formulation] = MappingProxyType(
    {
        "diazepam": Formulation(
            agent="diazepam",
            form="tablet",
            strengths_mg=(Decimal(10), Decimal(5), Decimal(2)),
            halvable_mg=(Decimal(2),),
            dose_step_mg=Decimal(1),
            source="tapering.md section 3: tablets 2, 5, 10 mg; a 2 mg tablet may be halved",
        ),
        "chlordiazepoxide": Formulation(
            agent="chlordiazepoxide",
            form="capsule",
            strengths_mg=(Decimal(25), Decimal(10), Decimal(5)),
            halvable_mg=(),
            dose_step_mg=Decimal(5),
            source="tapering.md section 3: capsules 5, 10, 25 mg; cannot be split",
        ),
    }
)


def formulation_for(agent: str) -> Formulation:
    """The formulation of a taper agent; only diazepam and chlordiazepoxide are taper agents."""
    try:
        return FORMULATIONS[agent]
    except KeyError:
        valid = ", ".join(FORMULATIONS)
        raise FormulationError(f"{agent!r} is not a taper agent; use one of: {valid}.") from None


def _check_mg(value: Decimal, what: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise FormulationError(f"{what} must be a finite Decimal >= 0 mg, got {value!r}.")


def round_down(total_mg: Decimal, formulation: Formulation) -> Decimal:
    """Round a daily total DOWN to the formulation's step (tapering.md section 3).

    Down, never to nearest, so the schedule never gives more than the computed curve.
    """
    _check_mg(total_mg, "Daily total")
    step = formulation.dose_step_mg
    return (total_mg // step) * step


def is_step_multiple(mg: Decimal, formulation: Formulation) -> bool:
    return mg % formulation.dose_step_mg == 0


def split_daily(
    total_mg: Decimal, doses_per_day: int, formulation: Formulation
) -> tuple[Decimal, ...]:
    """Split a daily total into ``doses_per_day`` doses, as even as the step allows, larger last.

    tapering.md section 3: diazepam 30 mg QID = 7 + 7 + 8 + 8; 5 mg BID = 2 + 3. Each dose is a
    whole number of steps, so chlordiazepoxide 15 mg QID = 0 + 5 + 5 + 5: a slot may get no
    dose when the total has fewer steps than the day has doses.
    """
    _check_mg(total_mg, "Daily total")
    if doses_per_day < 1:
        raise FormulationError("A day has at least one dose.")
    if not is_step_multiple(total_mg, formulation):
        raise FormulationError(
            f"{total_mg} mg is not a multiple of the {formulation.dose_step_mg} mg step; "
            "round it down first."
        )
    steps = int(total_mg / formulation.dose_step_mg)
    base, extra = divmod(steps, doses_per_day)
    counts = [base] * (doses_per_day - extra) + [base + 1] * extra
    return tuple(formulation.dose_step_mg * c for c in counts)


@dataclass(frozen=True)
class Unit:
    """``count`` tablets or capsules of ``strength_mg``; 0.5 steps only for halvable tablets."""

    strength_mg: Decimal
    count: Decimal


def breakdown(dose_mg: Decimal, formulation: Formulation) -> tuple[Unit, ...]:
    """The tablets or capsules that make up one dose, largest strength first.

    tapering.md section 3: 7 mg = 1 x 5 mg + 1 x 2 mg; 1 mg = half a 2 mg tablet. Choice when
    several combinations exist: as few halved tablets as possible (a half is only used when
    whole tablets cannot make the dose, because halving is less exact and needs a splitter),
    then as few units as possible. With diazepam 2/5/10 mg this means only 1 mg and 3 mg doses
    use a half tablet.
    """
    _check_mg(dose_mg, "Dose")
    if not is_step_multiple(dose_mg, formulation):
        raise FormulationError(
            f"{dose_mg} mg cannot be given as {formulation.agent} {formulation.form}s: "
            f"not a multiple of {formulation.dose_step_mg} mg."
        )
    return _breakdown_steps(int(dose_mg / formulation.dose_step_mg), formulation)


def _breakdown_steps(steps: int, formulation: Formulation) -> tuple[Unit, ...]:
    step = formulation.dose_step_mg
    # (size in steps, strength, count per piece, is half); larger pieces first so that on a
    # cost tie the larger strength wins, which is what a pharmacist would pick.
    pieces = sorted(
        [(int(s / step), s, _ONE, False) for s in formulation.strengths_mg]
        + [(int(s * _HALF / step), s, _HALF, True) for s in formulation.halvable_mg],
        key=lambda p: p[0],
        reverse=True,
    )
    # best[n] = (halves, units, previous piece index) for a dose of n steps; plain DP because
    # greedy is not optimal for every set of strengths.
    inf = (math.inf, math.inf)
    best: list[tuple[float, float]] = [(0, 0)] + [inf] * steps
    choice: list[int] = [-1] * (steps + 1)
    for n in range(1, steps + 1):
        for i, (size, _, _, is_half) in enumerate(pieces):
            if size <= n and best[n - size] != inf:
                cost = (best[n - size][0] + (1 if is_half else 0), best[n - size][1] + 1)
                if cost < best[n]:
                    best[n], choice[n] = cost, i
    if best[steps] == inf:
        raise FormulationError(f"No combination of {formulation.agent} units gives this dose.")
    counts: dict[Decimal, Decimal] = {}
    n = steps
    while n:
        size, strength, count, _ = pieces[choice[n]]
        counts[strength] = counts.get(strength, _ZERO) + count
        n -= size
    return tuple(Unit(s, counts[s]) for s in sorted(counts, reverse=True))


def describe_units(units: Sequence[Unit], formulation: Formulation) -> str:
    """Words for a breakdown, e.g. "1 x 5 mg + 1 x 2 mg tablet" or "half a 2 mg tablet"."""
    if not units:
        return "no dose"
    parts = []
    for unit in units:
        whole = int(unit.count)
        if whole:
            parts.append(f"{whole} x {format_mg(unit.strength_mg)} mg")
        if unit.count != whole:
            parts.append(f"half a {format_mg(unit.strength_mg)} mg")
    return " + ".join(parts) + f" {formulation.form}"


@dataclass(frozen=True)
class DispenseTotal:
    """Plan total for one strength: ``count`` in units (may end in .5 for halved tablets) and
    ``whole_units`` to dispense (halves come from whole tablets, so rounded up)."""

    strength_mg: Decimal
    count: Decimal
    whole_units: int


def dispense_totals(
    formulation: Formulation, courses: Iterable[tuple[int, Sequence[Decimal]]]
) -> tuple[DispenseTotal, ...]:
    """Total units per strength for a plan (tapering.md section 3, "total count to dispense").

    ``courses`` are (number of days, that day's doses in mg); largest strength first, only
    strengths the plan uses.
    """
    totals: dict[Decimal, Decimal] = {}
    for days, doses in courses:
        if days < 0:
            raise FormulationError("A course cannot last a negative number of days.")
        for dose in doses:
            for unit in breakdown(dose, formulation):
                totals[unit.strength_mg] = totals.get(unit.strength_mg, _ZERO) + unit.count * days
    return tuple(
        DispenseTotal(s, totals[s], math.ceil(totals[s]))
        for s in sorted(totals, reverse=True)
        if totals[s]
    )


def format_mg(value: Decimal) -> str:
    """A Decimal as plain mg text without exponent or trailing zeros ("7", "7.5")."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")
