"""Assessment flags of risk.md (seizure, psychosis/delirium, oversedation, CIWA-B course)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from clinical.ciwa_b import UnableReason
from clinical.risk.base import (
    DEFAULT_RISE_THRESHOLD,
    DESIGN_DEFAULT,
    JOINT_2025,
    SA_HEALTH,
    AssessmentFacts,
    Flag,
    IntakeFacts,
    Level,
    _adder,
    _ordered,
)
from clinical.risk.intake import intake_flags
from clinical.risk.sedation import CANNOT_STAY_AWAKE_LEVEL, DIFFICULT_TO_ROUSE_LEVEL


def assessment_flags(
    intake: IntakeFacts,
    current: AssessmentFacts,
    previous: AssessmentFacts | None,
    *,
    as_of: datetime,
    rise_threshold: int = DEFAULT_RISE_THRESHOLD,
    severe_bands: Collection[str] = ("severe", "very_severe"),
    visual_disturbance_min: int = 3,
) -> tuple[Flag, ...]:
    """Intake flags plus the flags raised by ``current`` (and its change since ``previous``).

    Published rules (risk.md):
    - seizure since last assessment, new hallucinations, confusion, suicidal thoughts: critical
      (2025 Joint Guideline Table 3; ASAM; Rec 5a);
    - sedation level 3: critical; level 2: high (SA Health);
    - unable to assess because difficult to rouse or confused: critical (ciwa-b.md).

    Design defaults, not published thresholds (parameters; the clinical lead must confirm):
    - ``severe_bands`` (default severe, very severe): CIWA-B band raises a high flag;
    - ``visual_disturbance_min`` (default 3): item 15 at or above it raises an elevated flag;
    - ``rise_threshold`` (default 10): a total rise of at least this since ``previous`` raises
      a high flag, "notify the physician".

    Returned critical first, then high, then elevated, each code once.
    """
    if rise_threshold < 1:
        raise ValueError("rise_threshold must be at least 1 point.")
    flags = list(intake_flags(intake, as_of=as_of))
    add = _adder(flags)
    table3 = f"{JOINT_2025} Table 3; ASAM"
    for present, code, reason, source in (
        (current.seizure, "seizure_since_last", "Seizure since the last assessment.", table3),
        (
            current.hallucinations,
            "hallucinations",
            "New hallucinations (seeing, hearing or feeling things).",
            table3,
        ),
        (current.confusion, "confusion", "Confused or disoriented.", table3),
        (
            current.suicidal_thoughts,
            "suicidal_thoughts",
            "Has suicidal thoughts.",
            f"{JOINT_2025} Table 3 and Rec 5a",
        ),
    ):
        if present:
            add(code, Level.CRITICAL, reason, source)
    if current.sedation_level == DIFFICULT_TO_ROUSE_LEVEL:
        add(
            "sedation_3",
            Level.CRITICAL,
            "Sedation level 3, difficult to rouse: hold sedating doses and page the physician.",
            SA_HEALTH,
        )
    elif current.sedation_level == CANNOT_STAY_AWAKE_LEVEL:
        add(
            "sedation_2",
            Level.HIGH,
            "Sedation level 2, cannot stay awake: advise holding the next dose.",
            SA_HEALTH,
        )
    if current.unable_reason == UnableReason.DIFFICULT_TO_ROUSE:
        add(
            "unable_difficult_to_rouse",
            Level.CRITICAL,
            "CIWA-B not done: difficult to rouse. Hold sedating doses and page the physician.",
            f"ciwa-b.md; {SA_HEALTH}",
        )
    elif current.unable_reason == UnableReason.CONFUSED:
        add(
            "unable_confused",
            Level.CRITICAL,
            "CIWA-B not done: confused. Hold sedating doses and page the physician.",
            f"ciwa-b.md; {SA_HEALTH}",
        )
    if current.band is not None and current.band in severe_bands:
        add(
            "ciwa_severe",
            Level.HIGH,
            f"CIWA-B {current.total}, {current.band.replace('_', ' ')} withdrawal.",
            DESIGN_DEFAULT,
        )
    # Item 15 is the 15th score (1-based numbering in ciwa-b.md).
    if current.items is not None and current.items[14] >= visual_disturbance_min:
        add(
            "visual_disturbance_item15",
            Level.ELEVATED,
            f"Visual disturbances scored {current.items[14]}: can come before hallucinations.",
            DESIGN_DEFAULT,
        )
    if previous is not None and previous.total is not None and current.total is not None:
        rise = current.total - previous.total
        if rise >= rise_threshold:
            add(
                "ciwa_rise",
                Level.HIGH,
                f"CIWA-B rose {rise} points since the last assessment "
                f"({previous.total} to {current.total}): notify the physician.",
                DESIGN_DEFAULT,
            )
    return _ordered(flags)
