"""Strategy names, unit default times, the outpatient rate rule, and each strategy's
parameters with their limits (tapering.md section 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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

# tapering.md section 2 `inpatient` (eTG): discharge only at 20 mg/day diazepam or less. The
# inpatient hand-off dose defaults to it and may not exceed it; clinical.discharge blocks a
# discharge above it. Defined here only.
HAND_OFF_MAX_MG = Decimal(20)
# tapering.md section 2 `inpatient` (eTG): reduce by 10% of the stabilisation dose a day, the
# maximum achievable rate: the default reduction here and the limit in clinical.taper.rules.
INPATIENT_DAILY_PERCENT = Decimal(10)
# tapering.md section 2: the allowed ranges (inclusive) of the strategies' parameters; the
# defaults are the dataclass defaults below. Named so that pages show the same numbers.
INPATIENT_STABILISATION_DAYS = (2, 7)  # eTG
OUTPATIENT_REDUCTION_PERCENT = (Decimal(5), Decimal(25))  # 2025 Joint Guideline
OUTPATIENT_INTERVAL_DAYS = (7, 28)  # 2025 Joint Guideline


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
            *OUTPATIENT_REDUCTION_PERCENT,
            why,
        )
        _check_int(
            errors, f"{prefix}interval_days", self.interval_days, *OUTPATIENT_INTERVAL_DAYS, why
        )
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
    hand_off_mg: Decimal = HAND_OFF_MAX_MG
    time_slots: tuple[str, ...] = QID_TIMES
    continuation: OutpatientParams | None = None

    DEFAULT_REDUCTION_PERCENT = INPATIENT_DAILY_PERCENT

    def validate(self, prefix: str = "") -> None:
        errors: list[tuple[str, str]] = []
        _check_int(
            errors,
            f"{prefix}stabilisation_days",
            self.stabilisation_days,
            *INPATIENT_STABILISATION_DAYS,
            "eTG",
        )
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
            HAND_OFF_MAX_MG,
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
                HAND_OFF_MAX_MG,
                "eTG discharges only at 20 mg/day diazepam or less",
            )
        _raise_if(errors)


Params = InpatientParams | OutpatientParams | CustomParams
PARAMS_CLASSES: dict[str, type] = {
    INPATIENT: InpatientParams,
    OUTPATIENT: OutpatientParams,
    CUSTOM: CustomParams,
}
