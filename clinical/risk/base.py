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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from clinical.ciwa_b import ITEM_COUNT, SEDATION_LEVELS, UnableReason
from clinical.equivalence import MODERATE_BAND_MAX_MG, DoseBand

RULES_VERSION = "2"
"""1: first release. 2: an intake agent without a conversion makes the dose unknown (dose band
"unknown", an intake flag, no setting suggestion from the dose; equivalence.md); one escalation
per assessment naming every reason at its highest level (``clinical.risk.escalation``)."""

# Sources, abbreviated as in shared/domain/README.md.
JOINT_2025 = "2025 Joint Guideline"
SA_HEALTH = "SA Health"
DESIGN_DEFAULT = "design default (not a published threshold)"

# risk.md "Daily dose above 50 mg" (SA Health) and "above 15 mg" (2025 Joint Guideline high band,
# equivalence.md: high > 15 mg diazepam equivalent per day; the cut-off is defined once, in
# clinical.equivalence.bands).
INPATIENT_DOSE_MG = Decimal("50")
HIGH_BAND_DOSE_MG = MODERATE_BAND_MAX_MG
# risk.md: short-acting agent / abrupt cessation means last dose more than 24 h ago.
ABRUPT_STOP_AFTER = timedelta(hours=24)
# risk.md and tapering.md section 4: age 65 or over (2025 Joint Guideline; eTG). Defined here
# only; clinical.taper.rules imports it.
OLDER_ADULT_AGE = 65
# risk.md "Escalation rules": a CIWA-B rise of 10 or more since the last valid assessment
# notifies the physician (design default, not a published threshold; each unit may change it).
DEFAULT_RISE_THRESHOLD = 10

DOSE_UNKNOWN = "unknown"
"""Dose band of a regimen with an agent that is not converted (equivalence.md: never guessed)."""
DOSE_BANDS = frozenset({*(band.value for band in DoseBand), DOSE_UNKNOWN})


class Level(StrEnum):
    """risk.md levels: critical pages the physician now; then high; then elevated."""

    CRITICAL = "critical"
    HIGH = "high"
    ELEVATED = "elevated"


# Most severe first; the one order every page, export and API sorts flags by.
LEVELS_BY_SEVERITY = (Level.CRITICAL, Level.HIGH, Level.ELEVATED)
LEVEL_RANK: dict[str, int] = {level.value: rank for rank, level in enumerate(LEVELS_BY_SEVERITY)}
LEVEL_LABELS: dict[str, str] = {level.value: level.value.capitalize() for level in Level}


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
    # Agents taken but not converted to diazepam equivalents (equivalence.md: refused, never
    # guessed). Non-empty means ``total_diazepam_mg`` is only the known part of the dose.
    unconverted_agents: tuple[str, ...] = ()

    @property
    def dose_known(self) -> bool:
        return not self.unconverted_agents

    @property
    def dose_text(self) -> str:
        """The daily dose in words: "12 mg", or "at least 12 mg" when an agent is unconverted."""
        if self.dose_known:
            return f"{self.total_diazepam_mg} mg"
        return f"at least {self.total_diazepam_mg} mg"

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
    return tuple(sorted(unique, key=lambda f: LEVEL_RANK[f.level]))


def highest_level(flags: Iterable[Flag]) -> Level | None:
    """The most urgent level among ``flags``, or None when there are none."""
    levels = [f.level for f in flags]
    if not levels:
        return None
    return min(levels, key=LEVEL_RANK.__getitem__)
