"""``build_schedule``: a strategy's segments rounded to tablets, dated, with the day-1
test dose (tapering.md sections 2 and 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from clinical.taper.rounding import (
    Formulation,
    breakdown,
    describe_units,
    format_mg,
    formulation_for,
    round_down,
    split_daily,
)
from clinical.taper.schedule.model import (
    Dose,
    Schedule,
    Step,
    _Seg,
)
from clinical.taper.schedule.params import (
    _ZERO,
    CUSTOM,
    PARAMS_CLASSES,
    STRATEGIES,
    CustomStep,
    InpatientParams,
    OutpatientParams,
    ParameterError,
    Params,
)
from clinical.taper.schedule.strategies import (
    _custom,
    _inpatient,
    _outpatient,
)


def build_schedule(
    strategy: str,
    params: Params | None,
    *,
    agent: str,
    starting_daily_mg: Decimal,
    start_date: date,
    target_per_diazepam: Decimal = Decimal(1),
    custom_steps: Sequence[CustomStep] = (),
    first_dose_time: str | None = None,
) -> Schedule:
    """The dated schedule for one strategy; ``starting_daily_mg`` is in the taper agent's mg.

    Raises ParameterError for parameters outside tapering.md's limits (field names match the
    params' attributes, prefixed "custom_steps[i]." for custom steps).

    ``first_dose_time`` (one of the day's time labels) is the first dose given on the start
    date, for a plan signed late in the day: the earlier times of that day are not given, and
    the inpatient day-1 test dose (SA Health, tapering.md 2) is that dose, halved.
    """
    if strategy not in STRATEGIES:
        raise ParameterError("strategy", f"Must be one of {', '.join(STRATEGIES)}.")
    params = params if params is not None else PARAMS_CLASSES[strategy]()
    if not isinstance(params, PARAMS_CLASSES[strategy]):
        raise ParameterError("params", f"{strategy} takes {PARAMS_CLASSES[strategy].__name__}.")
    params.validate()
    f = formulation_for(agent)
    unrounded = starting_daily_mg
    start = round_down(unrounded, f)
    if strategy != CUSTOM and start == 0:
        raise ParameterError(
            "agents",
            f"The starting dose {format_mg(unrounded)} mg/day is below "
            f"the smallest {agent} dose ({format_mg(f.dose_step_mg)} mg).",
        )
    origin = (
        f"Starting dose {format_mg(unrounded)} mg/day, rounded down to the "
        f"{format_mg(f.dose_step_mg)} mg step: {format_mg(start)} mg/day. "
    )
    deferrals, test_dose = 0, None
    if isinstance(params, InpatientParams):
        segs, hand_off = _inpatient(params, start, unrounded, f, target_per_diazepam)
        segs[0].derivation = origin + segs[0].derivation
        if params.continuation is not None and hand_off is not None:
            more, deferrals = _outpatient(
                params.continuation,
                segs[-1].total,
                segs[-1].curve,
                f,
                "Outpatient continuation from the hand-off dose.",
            )
            # The continuation starts on the day the hand-off dose is reached; after a
            # stabilisation-only plan (start at or below the hand-off) it follows it.
            segs[len(segs) - (segs[-1].phase == "reduction") :] = more
            hand_off = None
        end = segs[-1].total
        slots = params.time_slots
        first_slot = _first_slot(first_dose_time, slots)
        test_dose = _test_dose(start, slots, f, first_slot)
        segs[0].note = _test_dose_note(test_dose, start, slots, f, first_slot)
    elif isinstance(params, OutpatientParams):
        segs, deferrals = _outpatient(params, start, unrounded, f, origin.strip())
        hand_off, end, slots = None, _ZERO, params.slots
    else:
        segs, hand_off = _custom(custom_steps, params, f, target_per_diazepam)
        end, slots = segs[-1].total, params.time_slots
    if end == 0 and segs[-1].total == 0:
        segs[-1].days = 1
        segs[-1].note = " ".join(filter(None, [segs[-1].note, "Taper complete: no further doses."]))
    elif hand_off is not None:
        segs[-1].note = (
            f"Hand-off at {format_mg(end)} mg/day {agent}: the inpatient plan ends "
            "here; continue with an outpatient taper (eTG discharges only at 20 mg/"
            "day diazepam or less)."
        )
    _first_slot(first_dose_time, slots)  # validated for every strategy
    steps = _to_steps(_collapse(segs), start_date, slots, f)
    return Schedule(strategy, agent, f, tuple(slots), steps, end, hand_off, test_dose, deferrals)


def _collapse(segs: list[_Seg]) -> list[_Seg]:
    """Consecutive days with equal totals become one step (the curve taken on its last day)."""
    out: list[_Seg] = []
    for seg in segs:
        if out and out[-1].total == seg.total and out[-1].slots == seg.slots:
            last = out[-1]
            last.days += seg.days
            last.curve = min(last.curve, seg.curve)
            last.notes.extend([seg.note, *seg.notes] if seg.note else seg.notes)
            if seg.derivation != last.derivation:
                last.derivation += " " + seg.derivation
        else:
            out.append(replace(seg, notes=list(seg.notes)))
    return out


def _to_steps(
    segs: list[_Seg], start_date: date, slots: Sequence[str], f: Formulation
) -> tuple[Step, ...]:
    steps, day = [], start_date
    for seg in segs:
        end = day + timedelta(days=seg.days - 1)
        note = " ".join(filter(None, [seg.note, *seg.notes]))
        steps.append(
            Step(
                day,
                end,
                seg.total,
                seg.curve,
                doses_for(seg.total, seg.slots or slots, f),
                note,
                seg.derivation,
                seg.phase,
                seg.limited,
                seg.rate_rule,
            )
        )
        day = end + timedelta(days=1)
    return tuple(steps)


def doses_for(total_mg: Decimal, slots: Sequence[str], f: Formulation) -> tuple[Dose, ...]:
    """The day's doses, split as evenly as the step allows with larger doses last; slots that
    get 0 mg are left out (a nurse should not see a 0 mg dose)."""
    split = split_daily(total_mg, len(slots), f)
    return tuple(Dose(i, slots[i], mg, breakdown(mg, f)) for i, mg in enumerate(split) if mg > 0)


def _first_slot(first_dose_time: str | None, slots: Sequence[str]) -> int:
    """Index of the first dose time on the start date (0 when not given)."""
    if first_dose_time is None:
        return 0
    if first_dose_time not in slots:
        raise ParameterError(
            "first_dose_time",
            f"Must be one of the plan's dose times ({', '.join(slots)}); got {first_dose_time}.",
        )
    return list(slots).index(first_dose_time)


def _day_one_doses(
    start: Decimal, slots: Sequence[str], f: Formulation, first_slot: int
) -> tuple[Dose, ...]:
    return tuple(d for d in doses_for(start, slots, f) if d.slot >= first_slot)


def _test_dose(
    start: Decimal, slots: Sequence[str], f: Formulation, first_slot: int = 0
) -> Dose | None:
    """tapering.md section 2 inpatient (SA Health): day 1, first dose, half of one QID dose.

    Half is rounded down to the step so the test never exceeds half; when that is 0 the first
    dose is already the smallest the formulation allows and is itself the test. The first dose
    is the first one given on day 1 (``first_slot``: a plan signed late starts later that day).
    """
    first = _day_one_doses(start, slots, f, first_slot)
    if not first:
        return None
    half = round_down(first[0].mg / 2, f) or first[0].mg
    return Dose(first[0].slot, first[0].time, half, breakdown(half, f))


def _test_dose_note(
    test: Dose | None, start: Decimal, slots: Sequence[str], f: Formulation, first_slot: int = 0
) -> str:
    if test is None:
        return ""
    full = _day_one_doses(start, slots, f, first_slot)[0].mg
    note = (
        f"Day 1, first dose ({test.time}): give {format_mg(test.mg)} mg "
        f"({describe_units(test.units, f)}), half of the {format_mg(full)} mg dose, to test "
        "tolerance; if the patient is not sedated, it may be repeated after 2 h, then continue "
        "(SA Health)."
    )
    if first_slot:
        note += f" Day 1 starts at {slots[first_slot]}: earlier times that day are not given."
    return note
