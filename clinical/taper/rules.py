"""Warnings and rule checks shown before a taper plan is signed.

Source: /work/shared/domain/tapering.md, rules version 1 (``RULES_VERSION``): section 1
(starting dose, cap, dose warnings), section 2 (outpatient 25%-per-14-days rule, hand-off),
section 2 inpatient daily-reduction limits (eTG 10%/day; SA Health 10 mg/day), section 3
(steps limited by tablet size) and section 4 (other warnings). Each warning carries
its source. A warning with ``requires_override`` is a rule violation: the plan can only be
signed with an explicit override reason (tapering.md section 2, outpatient).

Pure domain code: no Django, no clock, milligrams as ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from clinical.equivalence import MODERATE_BAND_MAX_MG, RegimenConversion
from clinical.risk.base import OLDER_ADULT_AGE
from clinical.taper.rounding import Formulation, format_mg, round_down
from clinical.taper.schedule import (
    INPATIENT_DAILY_PERCENT,
    RATE_RULE_MIN_KEPT,
    RATE_RULE_WINDOW_DAYS,
    Schedule,
    Step,
    trailing_window_kept,
)

RULES_VERSION = "2"
"""Bump when any rule, threshold or rounding in clinical/taper changes; stored with a plan.

1: first release. 2: inpatient daily-reduction limits (eTG 10% of the stabilisation dose per
day; SA Health 10 mg/day diazepam): a faster inpatient reduction needs an override reason;
seizure-history warning (risk.md; SA Health), with ``withdrawal_seizures`` in the request."""

# tapering.md section 1.2: facility maximum, default diazepam 80 mg/day (SA Health: "no greater
# than 40 mg twice daily"). A facility setting may change it.
DEFAULT_STABILISATION_CAP_MG = Decimal(80)
# tapering.md section 1.3: > 40 mg/day "specialist review" (eTG); > 15 mg/day "high-dose
# dependence" (eTG; 2025 Joint Guideline Table 2 bands: the high band's cut-off, defined once in
# clinical.equivalence.bands).
SPECIALIST_REVIEW_ABOVE_MG = Decimal(40)
HIGH_DOSE_ABOVE_MG = MODERATE_BAND_MAX_MG
# tapering.md section 2 `inpatient`: reduce daily by 10% of the stabilisation dose per day (eTG's
# inpatient rule, given as the maximum achievable rate), or 10 mg/day diazepam (the older SA
# Health protocol). A faster daily reduction than either is a rule violation.
INPATIENT_MAX_DAILY_PERCENT = INPATIENT_DAILY_PERCENT
INPATIENT_MAX_DAILY_DIAZEPAM_MG = Decimal(10)
INPATIENT_LIMITS_TEXT = (
    "Inpatient limits: at most 10% of the stabilisation dose a day (eTG, tapering.md 2) and at "
    "most 10 mg/day diazepam (SA Health, tapering.md 2); a faster reduction needs an override "
    "reason to sign."
)
# tapering.md section 4: age 65 or more (2025 Joint Guideline; eTG frailty): OLDER_ADULT_AGE,
# imported from clinical.risk.base where risk.md's same threshold is defined.
# tapering.md section 4: "other tables differ by more than 25%".
TABLE_SPREAD_LIMIT = Decimal("0.25")
# tapering.md section 4 (NHS Scotland): epilepsy treated with these agents.
ANTIEPILEPTIC_BENZODIAZEPINES = frozenset({"clonazepam", "clobazam"})


@dataclass(frozen=True)
class PlanWarning:
    """A warning shown before signing; ``step_index`` points at the step it is about."""

    code: str
    message: str
    source: str
    requires_override: bool = False
    step_index: int | None = None


def dose_warnings(diazepam_mg: Decimal, cap_mg: Decimal) -> list[PlanWarning]:
    """Cap and dose-level warnings on the patient's diazepam-equivalent daily dose.

    Judged on the intake equivalent before capping, because the warnings describe the
    patient's dependence, which a facility cap does not change.
    """
    out = []
    if diazepam_mg > cap_mg:
        out.append(
            PlanWarning(
                "capped",
                f"Diazepam equivalent {format_mg(diazepam_mg)} mg/day is above the stabilisation "
                f"cap of {format_mg(cap_mg)} mg/day; the plan starts at the cap. "
                "Capped: titrate to symptoms.",
                "tapering.md 1.2; SA Health (no greater than 40 mg twice daily)",
            )
        )
    if diazepam_mg > SPECIALIST_REVIEW_ABOVE_MG:
        out.append(
            PlanWarning(
                "specialist_review",
                f"Starting dose above 40 mg/day diazepam equivalent ({format_mg(diazepam_mg)} "
                "mg/day): specialist review.",
                "tapering.md 1.3; eTG",
            )
        )
    if diazepam_mg > HIGH_DOSE_ABOVE_MG:
        out.append(
            PlanWarning(
                "high_dose_dependence",
                f"Above 15 mg/day diazepam equivalent ({format_mg(diazepam_mg)} mg/day): high-dose "
                "dependence: stabilise on diazepam first.",
                "tapering.md 1.3; eTG; 2025 Joint Guideline Table 2",
            )
        )
    return out


def above_cap_warning(schedule: Schedule, cap_target_mg: Decimal) -> list[PlanWarning]:
    """A hand-made (custom) plan whose first step is above the stabilisation cap."""
    first = schedule.steps[0].daily_total_mg
    if schedule.strategy != "custom" or first <= cap_target_mg:
        return []
    return [
        PlanWarning(
            "above_cap",
            f"The first step, {format_mg(first)} mg/day {schedule.agent}, is above the "
            f"stabilisation cap of {format_mg(cap_target_mg)} mg/day: titrate to symptoms.",
            "tapering.md 1.2; SA Health",
            step_index=0,
        )
    ]


def rate_rule_violations(steps: Sequence[Step]) -> list[PlanWarning]:
    """Steps where some 14-day window loses more than 25% of the dose (tapering.md 2).

    Only changes into steps with ``rate_rule_applies`` count, and steps limited by tablet size
    are exempt (tapering.md 3). Each change is checked against the window ending on its day,
    which is the worst window it ends, so the step named is the one that breaks the rule.
    """
    changes: list[tuple[int, Decimal, Decimal, bool]] = []
    out = []
    for i in range(1, len(steps)):
        prev, step = steps[i - 1], steps[i]
        if not step.rate_rule_applies or step.daily_total_mg >= prev.daily_total_mg:
            continue
        day = step.start_date.toordinal()
        changes.append((day, prev.daily_total_mg, step.daily_total_mg, step.limited_by_tablet_size))
        if step.limited_by_tablet_size:
            continue
        kept = trailing_window_kept(changes, day)
        if kept < RATE_RULE_MIN_KEPT:
            lost = (1 - kept) * 100
            out.append(
                PlanWarning(
                    "rate_rule_exceeded",
                    f"Step {i + 1} ({step.start_date.isoformat()}): "
                    f"{format_mg(prev.daily_total_mg)} -> {format_mg(step.daily_total_mg)} "
                    f"mg/day makes the dose fall {format_mg(lost.quantize(Decimal('0.1')))}% "
                    f"within {RATE_RULE_WINDOW_DAYS} days; the limit is 25% every 2 weeks. "
                    "Signing needs an override reason.",
                    "tapering.md 2 (outpatient); 2025 Joint Guideline",
                    requires_override=True,
                    step_index=i,
                )
            )
    return out


def inpatient_rate_violations(
    steps: Sequence[Step], formulation: Formulation, target_per_diazepam: Decimal
) -> list[PlanWarning]:
    """Inpatient reduction steps faster than tapering.md section 2 `inpatient` allows.

    Two published limits, each its own warning with its source, each needing an override reason
    to sign (as the outpatient 25%-per-2-weeks rule): eTG, 10% of the stabilisation dose per
    day; SA Health, 10 mg/day diazepam (x ``target_per_diazepam`` in the taper agent). The
    stabilisation dose is the first step's total. A reduction day ``d`` (days since the end of
    stabilisation) may bring the dose down to the limit curve ``start - d x limit`` rounded down
    to the formulation step (tapering.md 3: the schedule is rounded down, so a default 10% plan
    is never flagged for its rounding); steps limited by tablet size are exempt (tapering.md 3).
    Only steps in the inpatient ``reduction`` phase are judged: an appended outpatient
    continuation has its own rule.
    """
    if not steps:
        return []
    start = steps[0].daily_total_mg
    first_day = steps[0].end_date.toordinal() + 1
    limits = (
        (
            "inpatient_rate_above_etg",
            start * INPATIENT_MAX_DAILY_PERCENT / 100,
            f"the eTG limit of 10% of the {format_mg(start)} mg stabilisation dose per day",
            "tapering.md 2 (inpatient); eTG",
        ),
        (
            "inpatient_rate_above_sa_health",
            INPATIENT_MAX_DAILY_DIAZEPAM_MG * target_per_diazepam,
            "the SA Health limit of 10 mg/day diazepam"
            + ("" if target_per_diazepam == 1 else " equivalent"),
            "tapering.md 2 (inpatient); SA Health",
        ),
    )
    out = []
    for code, per_day, words, source in limits:
        for i in range(1, len(steps)):
            prev, step = steps[i - 1], steps[i]
            if step.phase != "reduction" or step.limited_by_tablet_size:
                continue
            if step.daily_total_mg >= prev.daily_total_mg:
                continue
            day = step.start_date.toordinal() - first_day + 1
            floor = round_down(max(start - day * per_day, Decimal(0)), formulation)
            if step.daily_total_mg < floor:
                out.append(
                    PlanWarning(
                        code,
                        f"Step {i + 1} ({step.start_date.isoformat()}): "
                        f"{format_mg(prev.daily_total_mg)} -> {format_mg(step.daily_total_mg)} "
                        f"mg/day is a faster reduction than {words} "
                        f"({format_mg(per_day)} mg a day). Signing needs an override reason.",
                        source,
                        requires_override=True,
                        step_index=i,
                    )
                )
                break  # one warning per limit: the first step that breaks it
    return out


def limited_step_warnings(steps: Sequence[Step]) -> list[PlanWarning]:
    """One warning per step limited by tablet size (tapering.md 3)."""
    out = []
    for i, step in enumerate(steps):
        if i and step.limited_by_tablet_size:
            prev = steps[i - 1].daily_total_mg
            drop = (prev - step.daily_total_mg) / prev * 100
            out.append(
                PlanWarning(
                    "limited_by_tablet_size",
                    f"Step {i + 1} ({step.start_date.isoformat()}): {format_mg(prev)} -> "
                    f"{format_mg(step.daily_total_mg)} mg/day is a "
                    f"{format_mg(drop.quantize(Decimal('0.1')))}% reduction, larger than the "
                    "planned rate because of tablet size; taken only after the previous "
                    "dose is held one extra interval.",
                    "tapering.md 3",
                    step_index=i,
                )
            )
    return out


def schedule_info(schedule: Schedule) -> list[PlanWarning]:
    """Hand-off and deferral information about how the schedule ends and was spaced."""
    out = []
    if schedule.hand_off_mg is not None:
        out.append(
            PlanWarning(
                "hand_off",
                f"The plan ends at {format_mg(schedule.hand_off_mg)} mg/day {schedule.agent}, "
                "not at zero: continue with an outpatient taper from that dose.",
                "tapering.md 2 (inpatient); eTG (discharge only at 20 mg/day diazepam or less)",
                step_index=len(schedule.steps) - 1,
            )
        )
    if schedule.rate_rule_deferrals:
        out.append(
            PlanWarning(
                "rate_rule_deferred",
                f"{schedule.rate_rule_deferrals} reduction(s) were deferred beyond the chosen "
                "interval so that no 14-day window loses more than 25% of the dose.",
                "tapering.md 2 (outpatient); 2025 Joint Guideline",
            )
        )
    return out


def patient_warnings(
    *,
    age: int | None,
    hepatic_impairment: bool,
    epilepsy: bool,
    agents: Sequence[str],
    withdrawal_seizures: bool = False,
    strategy: str = "",
) -> list[PlanWarning]:
    """tapering.md section 4: age, hepatic impairment, epilepsy with clonazepam/clobazam; and
    risk.md: history of withdrawal seizures, or epilepsy / seizure disorder, is a high seizure
    risk (SA Health: history of seizures, not for outpatient), so the plan says it as the
    intake does on the board; on an outpatient plan it says the history argues against it."""
    out = []
    if withdrawal_seizures or epilepsy:
        what = " and ".join(
            w
            for w, present in (
                ("seizures in a previous withdrawal", withdrawal_seizures),
                ("epilepsy or a seizure disorder", epilepsy),
            )
            if present
        )
        message = (
            f"History of {what}: high risk of seizures in withdrawal; taper under supervision."
        )
        if strategy == "outpatient":
            message += " SA Health: a history of seizures is not for outpatient withdrawal."
        out.append(PlanWarning("seizure_history", message, "risk.md (seizure risk); SA Health"))
    if age is not None and age >= OLDER_ADULT_AGE:
        out.append(
            PlanWarning(
                "age_65_or_over",
                f"Age {age}: consider a slower taper and lower doses.",
                "tapering.md 4; 2025 Joint Guideline; eTG (frailty)",
            )
        )
    if hepatic_impairment:
        out.append(
            PlanWarning(
                "hepatic_impairment",
                "Hepatic impairment: diazepam and chlordiazepoxide accumulate; consider "
                "oxazepam and seek specialist advice.",
                "tapering.md 4; PrescQIPP",
            )
        )
    named = sorted(ANTIEPILEPTIC_BENZODIAZEPINES.intersection(agents))
    if epilepsy and named:
        out.append(
            PlanWarning(
                "epilepsy_anticonvulsant_benzodiazepine",
                f"Epilepsy treated with {' and '.join(named)}: caution when reducing.",
                "tapering.md 4; NHS Scotland",
            )
        )
    return out


def conversion_warnings(conversion: RegimenConversion) -> list[PlanWarning]:
    """tapering.md section 4: the chosen table gives a range, or tables differ by > 25%."""
    reasons = [
        f"{c.agent} is {format_mg(c.factor.low)}-{format_mg(c.factor.high)} mg per 10 mg "
        f"diazepam in {c.table_id} ({format_mg(c.range_mg[0])}-{format_mg(c.range_mg[1])} mg "
        "diazepam; the lower figure is used)"
        for c in conversion.conversions
        if c.factor.is_range and c.daily_dose_mg > 0
    ]
    if conversion.max_table_spread > TABLE_SPREAD_LIMIT:
        spread = format_mg((conversion.max_table_spread * 100).quantize(Decimal(1)))
        low, high = conversion.cross_table_range_mg
        reasons.append(
            f"the equivalence tables differ by up to {spread}% (all tables: {format_mg(low)}-"
            f"{format_mg(high)} mg/day diazepam)"
        )
    if not reasons:
        return []
    return [
        PlanWarning(
            "wide_conversion_range",
            "Conversion is uncertain: "
            + "; ".join(reasons)
            + ". Start low and titrate to symptoms.",
            "tapering.md 4; equivalence.md",
        )
    ]


def override_codes(warnings: Sequence[PlanWarning]) -> tuple[str, ...]:
    """Codes of the rule violations that need an override reason to sign, sorted, unique."""
    return tuple(sorted({w.code for w in warnings if w.requires_override}))


def second_signature_reasons(
    warning_codes: Sequence[str], overridden_codes: Sequence[str]
) -> tuple[str, ...]:
    """Why a plan needs an addiction specialist's second signature before it is in force.

    tapering.md 1.3 (eTG): a starting dose above 40 mg/day diazepam equivalent needs specialist
    review (the ``specialist_review`` warning of ``dose_warnings``, the one place that applies
    the threshold); and a plan signed with any rule override (25% per 2 weeks, the cap, the
    inpatient limits) gets a specialist's second look as well. Empty when none applies.
    """
    reasons: list[str] = []
    if "specialist_review" in warning_codes:
        reasons.append(
            "Starting dose above 40 mg/day diazepam equivalent: specialist review (eTG, "
            "tapering.md 1.3)."
        )
    if overridden_codes:
        reasons.append(f"Signed with a rule override ({', '.join(overridden_codes)}).")
    return tuple(reasons)
