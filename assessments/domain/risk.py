"""Risk flags, oversedation advice and treatment-setting recommendation.

Source: ``shared/domain/risk.md`` (seizure, psychosis/delirium and oversedation flags; escalation
defaults; treatment setting at intake), with "unable to assess" from ``shared/domain/ciwa-b.md``
and the short-acting set and dose bands from ``shared/domain/equivalence.md``. The source files
carry no version number, so this rule set is versioned here as ``RULES_VERSION``; store it with
the flags an assessment raised and bump it whenever a rule below changes.

Rules that risk.md marks "design default" are keyword parameters here, with the default value;
they are not published thresholds and the facility's clinical lead must confirm them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from assessments.domain.ciwa_b import ITEM_COUNT, SEDATION_LEVELS, UnableReason

RULES_VERSION = "1"

# Sources, abbreviated as in shared/domain/README.md.
JOINT_2025 = "2025 Joint Guideline"
SA_HEALTH = "SA Health"
DESIGN_DEFAULT = "design default (not a published threshold)"

# risk.md "Daily dose above 50 mg" (SA Health) and "above 15 mg" (2025 Joint Guideline high band,
# equivalence.md: high > 15 mg diazepam equivalent per day).
INPATIENT_DOSE_MG = Decimal("50")
HIGH_BAND_DOSE_MG = Decimal("15")
# risk.md: short-acting agent / abrupt cessation means last dose more than 24 h ago.
ABRUPT_STOP_AFTER = timedelta(hours=24)
# risk.md: age 65 or over (2025 Joint Guideline; eTG).
OLDER_ADULT_AGE = 65

DOSE_BANDS = frozenset({"low", "moderate", "high"})


class Level(StrEnum):
    """risk.md levels: critical pages the physician now; then high; then elevated."""

    CRITICAL = "critical"
    HIGH = "high"
    ELEVATED = "elevated"


_LEVEL_ORDER = {Level.CRITICAL: 0, Level.HIGH: 1, Level.ELEVATED: 2}


@dataclass(frozen=True)
class Flag:
    """One raised risk flag: stable ``code``, ``level``, ``reason`` for a nurse, rule ``source``."""

    code: str
    level: Level
    reason: str
    source: str


@dataclass(frozen=True)
class SubstanceFacts:
    """One agent the patient takes, as a daily diazepam-equivalent dose."""

    agent: str
    diazepam_mg: Decimal
    last_dose_at: datetime | None
    short_acting: bool


@dataclass(frozen=True)
class IntakeFacts:
    """What the intake knows; ``dose_band`` is computed by the caller from equivalence.md."""

    total_diazepam_mg: Decimal
    dose_band: str
    substances: tuple[SubstanceFacts, ...]
    age_years: int | None
    withdrawal_seizures: bool
    epilepsy: bool
    withdrawal_psychosis: bool
    alcohol_dependence: bool
    other_cns_depressants: bool
    hepatic_impairment: bool
    injecting: bool = False
    multiple_substance_dependence: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.total_diazepam_mg, Decimal):
            raise TypeError("total_diazepam_mg must be a Decimal (milligrams).")
        if self.total_diazepam_mg < 0:
            raise ValueError("total_diazepam_mg cannot be negative.")
        if self.dose_band not in DOSE_BANDS:
            raise ValueError(
                f"dose_band must be one of {sorted(DOSE_BANDS)}; got {self.dose_band!r}."
            )


@dataclass(frozen=True)
class AssessmentFacts:
    """One assessment; ``total``, ``band`` and ``items`` are None when unable to assess."""

    total: int | None
    band: str | None
    items: tuple[int, ...] | None
    sedation_level: int | None
    seizure: bool
    hallucinations: bool
    confusion: bool
    suicidal_thoughts: bool
    unable_reason: str | None

    def __post_init__(self) -> None:
        if self.sedation_level is not None and self.sedation_level not in SEDATION_LEVELS:
            raise ValueError(f"sedation_level must be 0-3; got {self.sedation_level!r}.")
        if self.unable_reason is not None:
            UnableReason(self.unable_reason)  # raises ValueError on an unknown reason
        if self.items is not None and len(self.items) != ITEM_COUNT:
            raise ValueError(f"items must hold {ITEM_COUNT} scores; got {len(self.items)}.")


def _require_aware(value: datetime, name: str) -> None:
    # Naive times would compare against aware intake times with a TypeError, or worse, silently
    # in the wrong zone; architecture.md stores all times as aware UTC.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime.")


def _stopped_abruptly(substance: SubstanceFacts, as_of: datetime) -> bool:
    """Last dose more than 24 h before ``as_of`` (risk.md); unknown last dose is not assumed."""
    if substance.last_dose_at is None:
        return False
    _require_aware(substance.last_dose_at, "last_dose_at")
    return as_of - substance.last_dose_at > ABRUPT_STOP_AFTER


def intake_flags(intake: IntakeFacts, *, as_of: datetime) -> tuple[Flag, ...]:
    """Flags of risk.md that need no assessment, as of ``as_of``.

    - History of withdrawal seizures or epilepsy: high (SA Health).
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
    if intake.total_diazepam_mg > INPATIENT_DOSE_MG:
        add(
            "dose_above_50",
            Level.HIGH,
            f"Daily dose {intake.total_diazepam_mg} mg diazepam equivalent, above 50 mg.",
            SA_HEALTH,
        )
    if intake.total_diazepam_mg > HIGH_BAND_DOSE_MG:
        add(
            "dose_above_15",
            Level.ELEVATED,
            f"Daily dose {intake.total_diazepam_mg} mg diazepam equivalent, above 15 mg.",
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
    if stopped and intake.dose_band == "high":
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
        what = [
            name
            for name, present in (
                ("alcohol dependence", intake.alcohol_dependence),
                ("other sedating drugs (CNS depressants)", intake.other_cns_depressants),
            )
            if present
        ]
        add(
            "co_use_cns_depressants",
            Level.ELEVATED,
            f"Also uses {' and '.join(what)}: higher risk of seizures in withdrawal.",
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


def assessment_flags(
    intake: IntakeFacts,
    current: AssessmentFacts,
    previous: AssessmentFacts | None,
    *,
    as_of: datetime,
    rise_threshold: int = 10,
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
    if current.sedation_level == 3:
        add(
            "sedation_3",
            Level.CRITICAL,
            "Sedation level 3, difficult to rouse: hold sedating doses and page the physician.",
            SA_HEALTH,
        )
    elif current.sedation_level == 2:
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


def _adder(flags: list[Flag]) -> Callable[[str, Level, str, str], None]:
    def add(code: str, level: Level, reason: str, source: str) -> None:
        flags.append(Flag(code, level, reason, source))

    return add


def _ordered(flags: Iterable[Flag]) -> tuple[Flag, ...]:
    """Drop repeated codes (first wins) and sort critical, high, elevated, stable within a level."""
    seen: set[str] = set()
    unique: list[Flag] = []
    for flag in flags:
        if flag.code not in seen:
            seen.add(flag.code)
            unique.append(flag)
    return tuple(sorted(unique, key=lambda f: _LEVEL_ORDER[f.level]))


def highest_level(flags: Iterable[Flag]) -> Level | None:
    """The most urgent level among ``flags``, or None when there are none."""
    levels = [f.level for f in flags]
    if not levels:
        return None
    return min(levels, key=_LEVEL_ORDER.__getitem__)


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


def withhold_sedating_doses(current: AssessmentFacts) -> bool:
    """Advise holding sedating doses: sedation level 2 or more, or unable to assess because
    difficult to rouse or confused (SA Health sedation score; ciwa-b.md "unable to assess")."""
    if current.sedation_level is not None and current.sedation_level >= 2:
        return True
    return current.unable_reason in (UnableReason.DIFFICULT_TO_ROUSE, UnableReason.CONFUSED)
