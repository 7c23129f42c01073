"""Taper strategies (inpatient, outpatient, custom) turned into a dated schedule of steps.

Source: /work/shared/domain/tapering.md (tapering.md, rules version 1; see
``clinical.taper.rules.RULES_VERSION``), section 2 "Strategies" and section 3 "Formulations and
rounding". Every clinical number below is quoted from there with the guideline it names;
anything tapering.md does not fix is marked "not a published threshold".

The schedule is computed in the taper agent's mg: a chlordiazepoxide schedule is the
diazepam-equivalent curve x 2.5 (equivalence.md "Chlordiazepoxide"), rounded to capsules.
Parameters that tapering.md states in diazepam mg (hand-off dose, fixed mg/day reduction) are
given in diazepam mg and scaled by ``target_per_diazepam``.

Pure domain code: no Django, no clock (``start_date`` is a parameter), milligrams as Decimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from clinical.taper.rounding import (
    Formulation,
    Unit,
    breakdown,
    describe_units,
    format_mg,
    formulation_for,
    round_down,
    split_daily,
)

INPATIENT, OUTPATIENT, CUSTOM = "inpatient", "outpatient", "custom"
STRATEGIES = (INPATIENT, OUTPATIENT, CUSTOM)

# Unit default times of day (tapering.md section 6: "unit default times for QID, BID, daily");
# these are ward routine, not clinical facts, and every strategy takes its own time_slots.
QID_TIMES = ("08:00", "12:00", "17:00", "21:00")
BID_TIMES = ("08:00", "20:00")
DAILY_TIMES = ("08:00",)
DEFAULT_TIMES = {1: DAILY_TIMES, 2: BID_TIMES, 4: QID_TIMES}

# tapering.md section 2 outpatient: "the dose at the end of any 14-day window must not be below
# 75% of the dose at its start" (2025 Joint Guideline: "typically should not exceed 25% every 2
# weeks"). Read as: for every day t, dose(t + 14) >= 0.75 x dose(t), the stricter of the two
# readings of a "14-day window".
RATE_RULE_WINDOW_DAYS = 14
RATE_RULE_MIN_KEPT = Decimal("0.75")

_ZERO, _HUNDRED = Decimal(0), Decimal(100)


class ParameterError(ValueError):
    """Invalid plan input; ``errors`` are (field, message) pairs for API field errors."""

    def __init__(self, field: str, message: str, *more: tuple[str, str]) -> None:
        self.errors: tuple[tuple[str, str], ...] = ((field, message), *more)
        self.field, self.message = field, message
        super().__init__("; ".join(f"{f}: {m}" for f, m in self.errors))

    def as_dict(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f, m in self.errors:
            out.setdefault(f, []).append(m)
        return out


def _raise_if(errors: list[tuple[str, str]]) -> None:
    if errors:
        raise ParameterError(*errors[0], *errors[1:])


def _check_int(
    errors: list, name: str, value: object, low: int, high: int | None, why: str
) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append((name, "Must be a whole number."))
    elif value < low or (high is not None and value > high):
        bound = f"{low} to {high}" if high is not None else f"{low} or more"
        errors.append((name, f"Must be {bound} ({why}); got {value}."))


def _check_dec(
    errors: list,
    name: str,
    value: object,
    low: Decimal,
    high: Decimal | None,
    why: str,
    *,
    low_open: bool = False,
) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        errors.append((name, "Must be a finite decimal number."))
        return
    too_low = value <= low if low_open else value < low
    if too_low or (high is not None and value > high):
        low_words = f"more than {low}" if low_open else f"{low}"
        bound = f"{low_words} to {high}" if high is not None else f"{low_words} or more"
        errors.append((name, f"Must be {bound} ({why}); got {value}."))


def _check_slots(errors: list, name: str, slots: object, count: int | None) -> None:
    if not isinstance(slots, tuple) or not all(isinstance(s, str) and s.strip() for s in slots):
        errors.append((name, "Must be a list of non-empty time labels."))
    elif len(set(slots)) != len(slots) or not slots:
        errors.append((name, "Time labels must be distinct and at least one."))
    elif count is not None and len(slots) != count:
        errors.append((name, f"Must have exactly {count} times, one per dose; got {len(slots)}."))


@dataclass(frozen=True)
class OutpatientParams:
    """tapering.md section 2 `outpatient` (2025 Joint Guideline).

    reduction_percent P: default 10, allowed 5-25 (% of the current dose).
    interval_days N: default 14, allowed 7-28.
    doses_per_day: allowed 1-2; the default 2 is a unit default, not a published value.
    respect_rate_rule: when True (default), a reduction that would break the 25%-per-14-days
    rule is deferred day by day until it does not, and its derivation says so; False keeps the
    P/N rhythm as given and the plan then needs an override reason to be signed.
    """

    reduction_percent: Decimal = Decimal(10)
    interval_days: int = 14
    doses_per_day: int = 2
    time_slots: tuple[str, ...] | None = None
    respect_rate_rule: bool = True

    @property
    def slots(self) -> tuple[str, ...]:
        return self.time_slots or DEFAULT_TIMES.get(self.doses_per_day, ())

    def validate(self, prefix: str = "") -> None:
        errors: list[tuple[str, str]] = []
        why = "2025 Joint Guideline via tapering.md"
        _check_dec(
            errors,
            f"{prefix}reduction_percent",
            self.reduction_percent,
            Decimal(5),
            Decimal(25),
            why,
        )
        _check_int(errors, f"{prefix}interval_days", self.interval_days, 7, 28, why)
        _check_int(errors, f"{prefix}doses_per_day", self.doses_per_day, 1, 2, "tapering.md")
        if not errors:
            _check_slots(errors, f"{prefix}time_slots", self.slots, self.doses_per_day)
        _raise_if(errors)


@dataclass(frozen=True)
class InpatientParams:
    """tapering.md section 2 `inpatient` (medically supervised detox).

    stabilisation_days S: default 2, allowed 2-7 (eTG).
    Four doses a day, QID (eTG; SA Health): time_slots must hold exactly four times.
    Daily reduction R: ``reduction_percent`` of the stabilisation dose per day (default 10%,
    eTG's inpatient rule) or ``reduction_mg_per_day`` in diazepam mg (e.g. 10 mg/day, older SA
    Health protocol); set at most one. Bounds 0-100% and > 0 mg are arithmetic, not published
    thresholds.
    hand_off_mg: diazepam mg/day the inpatient plan stops at; default 20, allowed 0-20 (eTG
    discharges only at 20 mg or less); 0 = taper to zero. ``continuation`` appends an
    `outpatient` taper from the hand-off dose.
    """

    stabilisation_days: int = 2
    reduction_percent: Decimal | None = None
    reduction_mg_per_day: Decimal | None = None
    hand_off_mg: Decimal = Decimal(20)
    time_slots: tuple[str, ...] = QID_TIMES
    continuation: OutpatientParams | None = None

    DEFAULT_REDUCTION_PERCENT = Decimal(10)

    def validate(self, prefix: str = "") -> None:
        errors: list[tuple[str, str]] = []
        _check_int(errors, f"{prefix}stabilisation_days", self.stabilisation_days, 2, 7, "eTG")
        if self.reduction_percent is not None and self.reduction_mg_per_day is not None:
            errors.append(
                (
                    f"{prefix}reduction_mg_per_day",
                    "Give a daily reduction in percent or in mg/day, not both.",
                )
            )
        if self.reduction_percent is not None:
            _check_dec(
                errors,
                f"{prefix}reduction_percent",
                self.reduction_percent,
                _ZERO,
                _HUNDRED,
                "not a published threshold",
                low_open=True,
            )
        if self.reduction_mg_per_day is not None:
            _check_dec(
                errors,
                f"{prefix}reduction_mg_per_day",
                self.reduction_mg_per_day,
                _ZERO,
                None,
                "not a published threshold",
                low_open=True,
            )
        _check_dec(
            errors,
            f"{prefix}hand_off_mg",
            self.hand_off_mg,
            _ZERO,
            Decimal(20),
            "eTG discharges only at 20 mg/day diazepam or less",
        )
        _check_slots(errors, f"{prefix}time_slots", self.time_slots, 4)
        if self.continuation is not None and self.hand_off_mg == 0:
            errors.append(
                (
                    f"{prefix}continuation",
                    "A plan that tapers to zero has no hand-off "
                    "dose to continue from; set hand_off_mg above 0.",
                )
            )
        _raise_if(errors)
        if self.continuation is not None:
            self.continuation.validate(f"{prefix}continuation.")


@dataclass(frozen=True)
class CustomStep:
    """One physician-set step: ``daily_total_mg`` of the taper agent for ``days`` days."""

    days: int
    daily_total_mg: Decimal
    note: str = ""


@dataclass(frozen=True)
class CustomParams:
    """tapering.md section 2 `custom`: steps set by hand, every rule still checked.

    The steps themselves come with the request (``custom_steps``). They must not increase and
    must end at 0 mg, or at ``hand_off_mg`` (diazepam mg/day, 0-20, eTG) when one is given.
    apply_rate_rule: check the outpatient 25%-per-14-days rule (default True, so a hand-made
    plan is held to the strictest rule unless the physician says it is an inpatient taper).
    time_slots: default QID (unit default, not a clinical fact).
    """

    time_slots: tuple[str, ...] = QID_TIMES
    hand_off_mg: Decimal | None = None
    apply_rate_rule: bool = True

    def validate(self, prefix: str = "") -> None:
        errors: list[tuple[str, str]] = []
        _check_slots(errors, f"{prefix}time_slots", self.time_slots, None)
        if self.hand_off_mg is not None:
            _check_dec(
                errors,
                f"{prefix}hand_off_mg",
                self.hand_off_mg,
                _ZERO,
                Decimal(20),
                "eTG discharges only at 20 mg/day diazepam or less",
            )
        _raise_if(errors)


Params = InpatientParams | OutpatientParams | CustomParams
PARAMS_CLASSES: dict[str, type] = {
    INPATIENT: InpatientParams,
    OUTPATIENT: OutpatientParams,
    CUSTOM: CustomParams,
}


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


def _outpatient(
    p: OutpatientParams, start: Decimal, start_curve: Decimal, f: Formulation, origin: str
) -> tuple[list[_Seg], int]:
    n, pct = p.interval_days, p.reduction_percent
    # The 25% rule governs this taper's own reductions, not how its first dose was reached.
    segs = [_Seg(start, n, start_curve, origin, OUTPATIENT)]
    changes: list[tuple[int, Decimal, Decimal, bool]] = []
    day, current, deferrals = n, start, 0
    while current > 0:
        curve = current * (1 - pct / _HUNDRED)
        new = round_down(curve, f)
        why = (
            f"{format_mg(pct)}% of {format_mg(current)} mg every {n} days (P, N; 2025 Joint "
            f"Guideline): curve {format_mg(curve)} mg, rounded down to the "
            f"{format_mg(f.dose_step_mg)} mg step: {format_mg(new)} mg"
        )
        if new >= current:  # tapering.md section 3: progress by one step if rounding stalls
            new = current - f.dose_step_mg
            why += f"; rounding left it unchanged, so one step down: {format_mg(new)} mg"
        limited = is_limited_by_tablet_size(current, new, f, curve)
        if limited:
            # tapering.md section 3: taken only after the previous dose is held one more interval
            segs[-1].days += n
            day += n
            segs[-1].notes.append(
                f"Held {n} extra days before the next step (limited by "
                "tablet size, tapering.md section 3)."
            )
            why += "; limited by tablet size (more than 25%), taken after one extra interval"
        elif p.respect_rate_rule:
            extra = 0
            while (
                trailing_window_kept([*changes, (day, current, new, False)], day)
                < RATE_RULE_MIN_KEPT
            ):
                day, extra = day + 1, extra + 1
            if extra:
                deferrals += 1
                segs[-1].days += extra
                why += (
                    f"; deferred {extra} days so no 14-day window loses more than 25% "
                    "(2025 Joint Guideline)"
                )
        changes.append((day, current, new, limited))
        segs.append(
            _Seg(
                new, n if new else 1, curve, why + ".", OUTPATIENT, limited=limited, rate_rule=True
            )
        )
        day += n
        current = new
    for seg in segs:
        seg.slots = p.slots
    return segs, deferrals


def _inpatient(
    p: InpatientParams, start: Decimal, start_curve: Decimal, f: Formulation, ratio: Decimal
) -> tuple[list[_Seg], Decimal]:
    hand_off_curve = p.hand_off_mg * ratio
    hand_off = round_down(hand_off_curve, f)
    if p.reduction_mg_per_day is not None:
        r = p.reduction_mg_per_day * ratio
        r_why = f"R = {format_mg(r)} mg/day fixed (SA Health protocol)"
    else:
        pct = p.reduction_percent or InpatientParams.DEFAULT_REDUCTION_PERCENT
        r = start * pct / _HUNDRED
        r_why = f"R = {format_mg(pct)}% of the {format_mg(start)} mg stabilisation dose (eTG)"
    s = p.stabilisation_days
    stop = f"; not below the {format_mg(hand_off_curve)} mg hand-off" if hand_off_curve else ""
    segs = [
        _Seg(
            start,
            s,
            start_curve,
            f"Stabilisation for {s} days at the starting dose (S; eTG allows 2-7).",
            "stabilisation",
        )
    ]
    current, k, held = start, 0, False
    while current > hand_off:
        k += 1
        curve = max(start - k * r, hand_off_curve)
        candidate = round_down(curve, f)
        why = (
            f"Reduction day {k}: curve {format_mg(start)} - {k} x {format_mg(r)} = "
            f"{format_mg(curve)} mg ({r_why}{stop}), rounded down to the "
            f"{format_mg(f.dose_step_mg)} mg step"
        )
        if candidate < current:
            new, limited, held = max(candidate, hand_off), False, False
            why += f": {format_mg(new)} mg."
        elif not held:
            # tapering.md section 3: a step larger than the rate is taken only after the dose
            # has been held one extra interval (a day here).
            held = True
            segs.append(
                _Seg(
                    current,
                    1,
                    curve,
                    why + f": {format_mg(candidate)} mg, unchanged; "
                    "held one extra day before a one-step reduction.",
                    "reduction",
                )
            )
            continue
        else:
            new, limited, held = current - f.dose_step_mg, True, False
            why += (
                f": {format_mg(candidate)} mg, unchanged, so one formulation step down to "
                f"{format_mg(new)} mg (tapering.md section 3; limited by tablet size)."
            )
        segs.append(_Seg(new, 1, curve, why, "reduction", limited=limited))
        current = new
    # Ends at zero, or at the hand-off dose (or at the starting dose if that is already lower).
    return segs, (current if hand_off > 0 else None)


def _custom(
    steps: Sequence[CustomStep], p: CustomParams, f: Formulation, ratio: Decimal
) -> tuple[list[_Seg], Decimal | None]:
    errors: list[tuple[str, str]] = []
    if not steps:
        _raise_if([("custom_steps", "A custom plan needs at least one step.")])
    segs: list[_Seg] = []
    for i, st in enumerate(steps):
        name = f"custom_steps[{i}]"
        _check_int(errors, f"{name}.days", st.days, 1, None, "a step lasts at least one day")
        _check_dec(errors, f"{name}.daily_total_mg", st.daily_total_mg, _ZERO, None, "mg/day")
        if errors:
            continue
        total = round_down(st.daily_total_mg, f)
        why = f"Set by the physician: {format_mg(st.daily_total_mg)} mg/day for {st.days} days"
        if total != st.daily_total_mg:
            why += f", rounded down to the {format_mg(f.dose_step_mg)} mg step: {format_mg(total)}"
        if segs and total > segs[-1].total:
            errors.append(
                (
                    f"{name}.daily_total_mg",
                    "Daily totals never increase "
                    f"(tapering.md section 3): {format_mg(total)} mg/day after "
                    f"{format_mg(segs[-1].total)} mg/day.",
                )
            )
        if segs and segs[-1].total == 0:
            errors.append((f"{name}.daily_total_mg", "No step can follow a 0 mg step."))
        if not segs and total == 0:
            errors.append((f"{name}.daily_total_mg", "A custom plan starts above 0 mg/day."))
        limited = bool(segs) and is_limited_by_tablet_size(segs[-1].total, total, f)
        segs.append(
            _Seg(
                total,
                st.days if total else 1,
                st.daily_total_mg,
                why + ".",
                CUSTOM,
                note=st.note,
                limited=limited,
                rate_rule=p.apply_rate_rule,
            )
        )
    _raise_if(errors)
    hand_off = None if p.hand_off_mg is None else round_down(p.hand_off_mg * ratio, f)
    if segs[-1].total not in (_ZERO, hand_off):
        ends = "0 mg" + ("" if hand_off is None else f" or the {format_mg(hand_off)} mg hand-off")
        _raise_if([("custom_steps", f"Every plan ends at {ends} (tapering.md section 2).")])
    return segs, hand_off if hand_off and segs[-1].total == hand_off else None


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
