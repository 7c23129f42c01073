"""Treatment-setting recommendation at intake (risk.md)."""

from __future__ import annotations

from dataclasses import dataclass

from clinical.risk.base import (
    INPATIENT_DOSE_MG,
    JOINT_2025,
    SA_HEALTH,
    IntakeFacts,
)


@dataclass(frozen=True)
class SettingRecommendation:
    """A proposed treatment setting with its reasons and sources; the physician decides."""

    setting: str
    reasons: tuple[str, ...]
    sources: tuple[str, ...]


SETTING_UNDECIDED = "undecided"
"""No suggestion: the dose is unknown (an agent not converted), so the physician decides."""
EQUIVALENCE_SOURCE = f"equivalence.md ({JOINT_2025})"


def _dose_unknown_reason(intake: IntakeFacts) -> str:
    known = (
        f" (the converted agents alone give {intake.dose_text})"
        if intake.total_diazepam_mg > 0
        else ""
    )
    return (
        f"Daily dose unknown: {', '.join(intake.unconverted_agents)} not converted{known}. "
        "No setting is suggested from the dose: titrate to the lowest dose that controls "
        "withdrawal; the physician decides."
    )


def setting_recommendation(intake: IntakeFacts) -> SettingRecommendation:
    """risk.md "Treatment setting at intake".

    Inpatient (medically managed) when any of: daily dose above 50 mg diazepam equivalent, or
    injecting (SA Health); history of withdrawal seizures or epilepsy (SA Health); dependence on
    several substances (alcohol dependence counts, being a second substance) or co-prescribed
    CNS depressants; complicated withdrawal expected, read here as a history of withdrawal
    psychosis or delirium (2025 Joint Guideline Rec 5 and 12; Table 2 note). Otherwise
    outpatient tapering may be considered (2025 Joint Guideline Rec 5).

    An agent that is not converted makes the dose unknown (equivalence.md: never guessed): the
    reasons then say so, and when no other criterion is met no setting is suggested
    (``SETTING_UNDECIDED``) rather than "outpatient" from the known part of the dose.

    Co-occurring conditions that cannot be managed safely as an outpatient are a clinical
    judgement the intake facts do not capture (hepatic impairment alone is not treated as one).
    """
    rec_5_12 = f"{JOINT_2025} Rec 5 and 12"
    reasons: list[str] = []
    sources: list[str] = []

    def add(reason: str, source: str) -> None:
        reasons.append(reason)
        if source not in sources:
            sources.append(source)

    if intake.total_diazepam_mg > INPATIENT_DOSE_MG:
        add(
            f"Daily dose {intake.dose_text} diazepam equivalent is above 50 mg.",
            SA_HEALTH,
        )
    if intake.injecting:
        add("Injects benzodiazepines.", SA_HEALTH)
    if intake.withdrawal_seizures or intake.epilepsy:
        add("History of withdrawal seizures or epilepsy.", SA_HEALTH)
    if intake.multiple_substance_dependence or intake.alcohol_dependence:
        add("Dependent on more than one substance.", rec_5_12)
    if intake.other_cns_depressants:
        add("Also takes other sedating drugs (CNS depressants).", rec_5_12)
    if intake.withdrawal_psychosis:
        add(
            "History of psychosis or delirium in withdrawal: complicated withdrawal expected.",
            rec_5_12,
        )
    if reasons:
        if not intake.dose_known:
            add(_dose_unknown_reason(intake), EQUIVALENCE_SOURCE)
        return SettingRecommendation("inpatient", tuple(reasons), tuple(sources))
    if not intake.dose_known:
        # No criterion met on what is known, but the dose is not known: "outpatient" would be
        # a suggestion made from a dose nobody has. The physician decides.
        add(_dose_unknown_reason(intake), EQUIVALENCE_SOURCE)
        return SettingRecommendation(SETTING_UNDECIDED, tuple(reasons), tuple(sources))
    return SettingRecommendation(
        "outpatient",
        ("No inpatient criterion met: outpatient tapering may be considered.",),
        (f"{JOINT_2025} Rec 5",),
    )
