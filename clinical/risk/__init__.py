"""Risk rules of shared/domain/risk.md: intake flags, assessment flags, treatment setting and the
oversedation hold. One rule a module; the shared facts, levels and versions are in ``base``."""

from clinical.risk.assessment import assessment_flags
from clinical.risk.base import (
    ABRUPT_STOP_AFTER,
    DEFAULT_RISE_THRESHOLD,
    DESIGN_DEFAULT,
    DOSE_BANDS,
    DOSE_UNKNOWN,
    HIGH_BAND_DOSE_MG,
    INPATIENT_DOSE_MG,
    JOINT_2025,
    LEVEL_LABELS,
    LEVEL_RANK,
    LEVELS_BY_SEVERITY,
    OLDER_ADULT_AGE,
    RULES_VERSION,
    SA_HEALTH,
    AssessmentFacts,
    Flag,
    IntakeFacts,
    Level,
    SubstanceFacts,
    highest_level,
)
from clinical.risk.intake import intake_flags
from clinical.risk.sedation import hold_sedating_doses
from clinical.risk.setting import SETTING_UNDECIDED, SettingRecommendation, setting_recommendation

__all__ = [
    "ABRUPT_STOP_AFTER",
    "DEFAULT_RISE_THRESHOLD",
    "DESIGN_DEFAULT",
    "DOSE_BANDS",
    "DOSE_UNKNOWN",
    "HIGH_BAND_DOSE_MG",
    "INPATIENT_DOSE_MG",
    "JOINT_2025",
    "LEVELS_BY_SEVERITY",
    "LEVEL_LABELS",
    "LEVEL_RANK",
    "OLDER_ADULT_AGE",
    "RULES_VERSION",
    "SA_HEALTH",
    "SETTING_UNDECIDED",
    "AssessmentFacts",
    "Flag",
    "IntakeFacts",
    "Level",
    "SettingRecommendation",
    "SubstanceFacts",
    "assessment_flags",
    "highest_level",
    "hold_sedating_doses",
    "intake_flags",
    "setting_recommendation",
]
