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


def setting_recommendation(intake: IntakeFacts) -> SettingRecommendation:
    """risk.md "Treatment setting at intake".

    Inpatient (medically managed) when any of: daily dose above 50 mg diazepam equivalent, or
    injecting (SA Health); history of withdrawal seizures or epilepsy (SA Health); dependence on
    several substances (alcohol dependence counts, being a second substance) or co-prescribed
    CNS depressants; complicated withdrawal expected, read here as a history of withdrawal
    psychosis or delirium (2025 Joint Guideline Rec 5 and 12; Table 2 note). Otherwise
    outpatient tapering may be considered (2025 Joint Guideline Rec 5).

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
            f"Daily dose {intake.total_diazepam_mg} mg diazepam equivalent is above 50 mg.",
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
        return SettingRecommendation("inpatient", tuple(reasons), tuple(sources))
    return SettingRecommendation(
        "outpatient",
        ("No inpatient criterion met: outpatient tapering may be considered.",),
        (f"{JOINT_2025} Rec 5",),
    )
