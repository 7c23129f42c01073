"""Intake flags of risk.md that need no assessment (see clinical.risk.base for sources)."""

from __future__ import annotations

from datetime import datetime

from clinical.equivalence import DoseBand
from clinical.risk.base import (
    ABRUPT_STOP_AFTER,
    DESIGN_DEFAULT,
    HIGH_BAND_DOSE_MG,
    INPATIENT_DOSE_MG,
    JOINT_2025,
    OLDER_ADULT_AGE,
    SA_HEALTH,
    Flag,
    IntakeFacts,
    Level,
    SubstanceFacts,
    _adder,
    _ordered,
    _require_aware,
)


def _stopped_abruptly(substance: SubstanceFacts, as_of: datetime) -> bool:
    """Last dose more than 24 h before ``as_of`` (risk.md); unknown last dose is not assumed."""
    if substance.last_dose_at is None:
        return False
    _require_aware(substance.last_dose_at, "last_dose_at")
    return as_of - substance.last_dose_at > ABRUPT_STOP_AFTER


def intake_flags(intake: IntakeFacts, *, as_of: datetime) -> tuple[Flag, ...]:
    """Flags of risk.md that need no assessment, as of ``as_of``.

    - History of withdrawal seizures or epilepsy: high (SA Health).
    - An agent not converted (equivalence.md: never guessed): the daily dose is unknown, so
      the known total is only "at least"; raised as ``dose_unknown`` so nobody reads the known
      part as the whole dose. Its level (high: the unknown part could put the dose above 50 mg)
      is a design default, not a published threshold.
    - Daily dose above 50 mg diazepam equivalent: high (SA Health). Above 15 mg: elevated
      (2025 Joint Guideline high band; eTG). Both are raised above 50 mg: they are separate
      rules with separate sources.
    - Short-acting agent (equivalence.md set) with last dose more than 24 h ago: elevated
      (SA Health).
    - Any agent stopped abruptly (last dose > 24 h) while the daily dose band is high: high for
      seizure risk and elevated for delirium risk (2025 Joint Guideline Table 3 note).
    - Alcohol dependence or other CNS depressants: elevated (SA Health; NSW guidance).
    - History of withdrawal psychosis or delirium: high (2025 Joint Guideline Table 2 note).
    - Age 65 or over: elevated (2025 Joint Guideline; eTG).
    """
    _require_aware(as_of, "as_of")
    flags: list[Flag] = []
    add = _adder(flags)
    if intake.withdrawal_seizures or intake.epilepsy:
        add(
            "history_withdrawal_seizures_or_epilepsy",
            Level.HIGH,
            "History of withdrawal seizures or epilepsy: higher risk of seizures.",
            SA_HEALTH,
        )
    if not intake.dose_known:
        agents = ", ".join(intake.unconverted_agents)
        known = (
            f" The converted agents alone give {intake.dose_text} diazepam equivalent."
            if intake.total_diazepam_mg > 0
            else ""
        )
        add(
            "dose_unknown",
            Level.HIGH,
            f"Daily dose unknown: {agents} not converted (no equivalence).{known} "
            "Titrate to the lowest dose that controls withdrawal; the physician decides.",
            f"equivalence.md ({JOINT_2025}); level: {DESIGN_DEFAULT}",
        )
    if intake.total_diazepam_mg > INPATIENT_DOSE_MG:
        add(
            "dose_above_50",
            Level.HIGH,
            f"Daily dose {intake.dose_text} diazepam equivalent, above 50 mg.",
            SA_HEALTH,
        )
    if intake.total_diazepam_mg > HIGH_BAND_DOSE_MG:
        add(
            "dose_above_15",
            Level.ELEVATED,
            f"Daily dose {intake.dose_text} diazepam equivalent, above 15 mg.",
            f"{JOINT_2025} (high band); eTG",
        )
    stopped = [s for s in intake.substances if _stopped_abruptly(s, as_of)]
    short_stopped = [s.agent for s in stopped if s.short_acting]
    if short_stopped:
        add(
            "short_acting_stopped",
            Level.ELEVATED,
            f"Short-acting {', '.join(short_stopped)} last taken more than 24 h ago: "
            "withdrawal may be more severe.",
            SA_HEALTH,
        )
    if stopped and intake.dose_band == DoseBand.HIGH:
        agents = ", ".join(s.agent for s in stopped)
        add(
            "high_dose_abrupt_stop_seizure",
            Level.HIGH,
            f"High daily dose and {agents} stopped more than 24 h ago: seizure risk.",
            f"{JOINT_2025} Table 3 note",
        )
        add(
            "high_dose_abrupt_stop_delirium",
            Level.ELEVATED,
            f"High daily dose and {agents} stopped more than 24 h ago: risk of delirium.",
            f"{JOINT_2025} Table 3 note",
        )
    if intake.alcohol_dependence or intake.other_cns_depressants:
        # Worded as a finding ("Alcohol dependence: ..."), never "Also uses alcohol dependence".
        what = " and ".join(
            name
            for name, present in (
                ("alcohol dependence", intake.alcohol_dependence),
                ("use of other sedating drugs (CNS depressants)", intake.other_cns_depressants),
            )
            if present
        )
        add(
            "co_use_cns_depressants",
            Level.ELEVATED,
            f"{what[0].upper()}{what[1:]}: higher risk of seizures in withdrawal.",
            f"{SA_HEALTH}; NSW guidance",
        )
    if intake.withdrawal_psychosis:
        add(
            "history_withdrawal_psychosis",
            Level.HIGH,
            "History of psychosis or delirium in a previous withdrawal.",
            f"{JOINT_2025} Table 2 note",
        )
    if intake.age_years is not None and intake.age_years >= OLDER_ADULT_AGE:
        add(
            "age_65_plus",
            Level.ELEVATED,
            f"Age {intake.age_years}: higher risk of confusion or delirium in withdrawal.",
            f"{JOINT_2025}; eTG",
        )
    return _ordered(flags)
