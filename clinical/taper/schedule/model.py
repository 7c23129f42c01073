"""The schedule's shapes: doses, steps, the schedule, and the tablet-size and rate-rule
checks on them (tapering.md sections 2 and 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from clinical.taper.rounding import (
    Formulation,
    Unit,
    round_down,
)
from clinical.taper.schedule.params import (
    RATE_RULE_MIN_KEPT,
    RATE_RULE_WINDOW_DAYS,
)


@dataclass(frozen=True)
class Dose:
    """One dose of the day: ``slot`` indexes the day's time slots, ``time`` is its label."""

    slot: int
    time: str
    mg: Decimal
    units: tuple[Unit, ...]


@dataclass(frozen=True)
class Step:
    """Consecutive days (``end_date`` inclusive) with the same daily total.

    ``unrounded_mg`` is the computed curve on the step's last day, so ``daily_total_mg`` never
    exceeds it. ``rate_rule_applies`` says whether the outpatient 25%-per-14-days rule governs
    the change into this step. ``derivation`` tells a pharmacist how the number was reached.
    """

    start_date: date
    end_date: date
    daily_total_mg: Decimal
    unrounded_mg: Decimal
    doses: tuple[Dose, ...]
    note: str
    derivation: str
    phase: str
    limited_by_tablet_size: bool = False
    rate_rule_applies: bool = False

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


@dataclass(frozen=True)
class Schedule:
    strategy: str
    agent: str
    formulation: Formulation
    time_slots: tuple[str, ...]
    steps: tuple[Step, ...]
    end_mg: Decimal
    hand_off_mg: Decimal | None
    test_dose: Dose | None = None
    rate_rule_deferrals: int = 0


@dataclass
class _Seg:
    total: Decimal
    days: int
    curve: Decimal
    derivation: str
    phase: str
    note: str = ""
    limited: bool = False
    rate_rule: bool = False
    notes: list[str] = field(default_factory=list)
    slots: tuple[str, ...] | None = None  # None: the schedule's time slots


def is_limited_by_tablet_size(
    previous_mg: Decimal, new_mg: Decimal, formulation: Formulation, curve_mg: Decimal | None = None
) -> bool:
    """A reduction of more than 25% that the formulation's step, not the plan, forces.

    tapering.md section 3: "one formulation step can exceed the strategy's rate (diazepam
    3 -> 2 mg is 33%; 1 -> 0 mg is 100%)". That is a drop of exactly one step. With a computed
    ``curve_mg`` it also covers rounding: no dose at or below the curve keeps 75% (e.g. 25% of
    15 mg aims at 11.25 mg and the 1 mg step gives 11 mg).
    """
    floor = previous_mg * RATE_RULE_MIN_KEPT
    if new_mg >= floor:
        return False
    if new_mg == previous_mg - formulation.dose_step_mg:
        return True
    return curve_mg is not None and round_down(curve_mg, formulation) < floor


def trailing_window_kept(
    changes: Iterable[tuple[int, Decimal, Decimal, bool]], day: int
) -> Decimal:
    """Fraction of the dose kept over the 14-day window ending on ``day``.

    ``changes`` are (day, previous mg, new mg, limited by tablet size); the window starting 14
    days before ``day`` holds changes on days day-13 .. day. Steps limited by tablet size are
    exempt (tapering.md section 3), so their drop is left out of the product.
    """
    kept = Decimal(1)
    for c_day, prev, new, limited in changes:
        if day - RATE_RULE_WINDOW_DAYS < c_day <= day and not limited and prev > 0:
            kept *= new / prev
    return kept
