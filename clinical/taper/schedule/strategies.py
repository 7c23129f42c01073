"""The three strategies' curves as segments before rounding into steps (tapering.md 2)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from clinical.taper.rounding import (
    Formulation,
    format_mg,
    round_down,
)
from clinical.taper.schedule.model import (
    _Seg,
    is_limited_by_tablet_size,
    trailing_window_kept,
)
from clinical.taper.schedule.params import (
    _HUNDRED,
    _ZERO,
    CUSTOM,
    OUTPATIENT,
    RATE_RULE_MIN_KEPT,
    CustomParams,
    CustomStep,
    InpatientParams,
    OutpatientParams,
    _check_dec,
    _check_int,
    _raise_if,
)


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
