"""CIWA-B instrument: items, scoring and severity bands.

Source: Clinical Institute Withdrawal Assessment for Benzodiazepines (Busto, Sykora & Sellers,
J Clin Psychopharmacol 1989;9(6):412-6), as fixed for this project in
``shared/domain/ciwa-b.md``. Instrument code ``CIWA-B``, version ``1989``.

CIWA-B is a monitoring scale only: nothing in this module (or anywhere else) derives a dose
from a total (eTG; NSW clinical guidance, via ciwa-b.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

INSTRUMENT_CODE = "CIWA-B"
INSTRUMENT_VERSION = "1989"
# ciwa-b.md "Items": 20 items, each scored 0-4; "Total": sum of items, 0-80.
ITEM_COUNT = 20
ITEM_MIN = 0
ITEM_MAX = 4
TOTAL_MAX = 80


class Rater(StrEnum):
    """Who gives the score: ciwa-b.md has 17 self-report and 3 nurse-observed items."""

    PATIENT = "patient"
    NURSE = "nurse"


@dataclass(frozen=True)
class Item:
    """One CIWA-B item; ``anchors`` holds the text shown for scores 0..4."""

    number: int
    label: str
    rater: Rater
    question: str
    anchors: tuple[str, str, str, str, str]


# ciwa-b.md: patient-rated anchors 0 "not at all" ... 4 "very much so"; the intermediate
# points follow the "none / mild / moderate / severe" labelling that some forms print.
_PATIENT_ANCHORS: tuple[str, str, str, str, str] = (
    "Not at all",
    "Mild",
    "Moderate",
    "Severe",
    "Very much so",
)


def _patient(number: int, label: str, question: str) -> Item:
    return Item(number, label, Rater.PATIENT, question, _PATIENT_ANCHORS)


# Item set and raters: ciwa-b.md "Items" table (1989 abstract; hospital EHR build of the form).
# Ends of the scales for items 12, 14 and 18-20 are from ciwa-b.md; the intermediate anchors of
# those items are plain-word fill by this app, consistent with the given ends, not instrument text.
ITEMS: tuple[Item, ...] = (
    _patient(1, "Irritable", "Do you feel irritable?"),
    _patient(2, "Fatigued", "Do you feel fatigued?"),
    _patient(3, "Tense", "Do you feel tense?"),
    _patient(4, "Difficulty concentrating", "Do you have difficulty concentrating?"),
    _patient(5, "Loss of appetite", "Do you have any loss of appetite?"),
    _patient(
        6,
        "Numbness or burning on face, hands or feet",
        "Have you any numbness or burning on your face, hands or feet?",
    ),
    _patient(7, "Heart racing (palpitations)", "Do you feel your heart racing (palpitations)?"),
    _patient(8, "Head full or achy", "Does your head feel full or achy?"),
    _patient(9, "Muscle aches or stiffness", "Do you feel muscle aches or stiffness?"),
    _patient(10, "Anxious, nervous or jittery", "Do you feel anxious, nervous or jittery?"),
    _patient(11, "Upset", "Do you feel upset?"),
    Item(
        12,
        "How restful was sleep last night",
        Rater.PATIENT,
        "How restful was your sleep last night?",
        ("Very restful", "Restful", "Somewhat restful", "Hardly restful", "Not at all restful"),
    ),
    _patient(13, "Weak", "Do you feel weak?"),
    Item(
        14,
        "Not enough sleep last night",
        Rater.PATIENT,
        "Do you feel you had enough sleep last night?",
        (
            "Enough sleep",
            "Slightly less than enough",
            "Much less than enough",
            "Very little sleep",
            "Not at all",
        ),
    ),
    _patient(
        15,
        "Visual disturbances (sensitivity to light, blurred vision)",
        "Have you any visual disturbances (sensitivity to light, blurred vision)?",
    ),
    _patient(16, "Fearful", "Are you fearful?"),
    _patient(
        17,
        "Worrying about possible misfortunes",
        "Have you been worrying about possible misfortunes lately?",
    ),
    Item(
        18,
        "Restlessness and agitation",
        Rater.NURSE,
        "Observe behaviour for restlessness and agitation.",
        (
            "Normal activity",
            "Slightly restless",
            "Moderately restless",
            "Very restless, fidgets in the chair",
            "Paces, unable to sit still",
        ),
    ),
    Item(
        19,
        "Tremor (arms extended, fingers spread)",
        Rater.NURSE,
        "Observe tremor with the arms extended and fingers spread.",
        (
            "No tremor",
            "Slight tremor",
            "Moderate tremor",
            "Marked tremor",
            "Severe tremor with fingers spread",
        ),
    ),
    Item(
        20,
        "Sweating (feel the palms)",
        Rater.NURSE,
        "Observe sweating; feel the palms.",
        (
            "No sweating",
            "Palms slightly moist",
            "Palms moist",
            "Sweating visible",
            "Drenching sweat",
        ),
    ),
)


class Band(StrEnum):
    """Severity band of a total (ciwa-b.md "Total and severity bands")."""

    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    VERY_SEVERE = "very_severe"


BAND_LABELS: Mapping[Band, str] = MappingProxyType(
    {
        Band.NONE: "None",
        Band.MILD: "Mild",
        Band.MODERATE: "Moderate",
        Band.SEVERE: "Severe",
        Band.VERY_SEVERE: "Very severe",
    }
)

# Upper bound (inclusive) of each band, ciwa-b.md: 0 none, 1-20 mild, 21-40 moderate,
# 41-60 severe, 61-80 very severe.
_BAND_UPPER_BOUNDS: tuple[tuple[int, Band], ...] = (
    (0, Band.NONE),
    (20, Band.MILD),
    (40, Band.MODERATE),
    (60, Band.SEVERE),
    (80, Band.VERY_SEVERE),
)


class UnableReason(StrEnum):
    """Why CIWA-B could not be done (ciwa-b.md "When CIWA-B cannot be done")."""

    ASLEEP_EASILY_ROUSED = "asleep_easily_roused"
    DIFFICULT_TO_ROUSE = "difficult_to_rouse"
    CONFUSED = "confused"
    REFUSED = "refused"
    OFF_UNIT = "off_unit"


UNABLE_REASON_LABELS: Mapping[UnableReason, str] = MappingProxyType(
    {
        UnableReason.ASLEEP_EASILY_ROUSED: "Asleep and easily roused",
        UnableReason.DIFFICULT_TO_ROUSE: "Difficult to rouse",
        UnableReason.CONFUSED: "Confused",
        UnableReason.REFUSED: "Refused",
        UnableReason.OFF_UNIT: "Off unit",
    }
)

# SA Health sedation score, as listed in ciwa-b.md "Recorded alongside each assessment".
SEDATION_LEVELS: Mapping[int, str] = MappingProxyType(
    {
        0: "Awake and alert",
        1: "Easily roused",
        2: "Easily roused but cannot stay awake",
        3: "Difficult to rouse",
    }
)


class ScoringError(ValueError):
    """An entry cannot be scored. ``item`` is the 1-based item at fault, when there is one."""

    def __init__(self, message: str, *, item: int | None = None) -> None:
        super().__init__(message)
        self.item = item


@dataclass(frozen=True)
class Score:
    """A scored assessment, stored with the instrument code and version that made it."""

    items: tuple[int, ...]
    total: int
    band: Band
    instrument_code: str
    instrument_version: str


def band_for_total(total: int) -> Band:
    """Return the severity band of a CIWA-B total (ciwa-b.md bands; range 0-80)."""
    if isinstance(total, bool) or not isinstance(total, int):
        raise ScoringError(f"A CIWA-B total must be a whole number, not {total!r}.")
    if total < 0 or total > TOTAL_MAX:
        raise ScoringError(f"A CIWA-B total must be between 0 and {TOTAL_MAX}; got {total}.")
    for upper, band in _BAND_UPPER_BOUNDS:
        if total <= upper:
            return band
    raise AssertionError("unreachable: bands cover 0-80")  # pragma: no cover


def score(items: Sequence[int]) -> Score:
    """Score one CIWA-B entry: exactly 20 whole numbers, each 0-4 (ciwa-b.md).

    Every item is required (ciwa-b.md: an assessment with a missing item has no total), so a
    short or long entry is refused rather than padded or truncated.
    """
    # A string is a Sequence too; "01234..." must not be read as digits.
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise ScoringError("CIWA-B scores must be given as a list of 20 item scores.")
    if len(items) != ITEM_COUNT:
        raise ScoringError(
            f"CIWA-B needs all {ITEM_COUNT} item scores; got {len(items)}. "
            "Every item must be scored before the assessment can be saved."
        )
    for number, value in enumerate(items, start=1):
        # bool is an int subclass; True would otherwise silently count as 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScoringError(
                f"Item {number} ({ITEMS[number - 1].label}) must be a whole number "
                f"from {ITEM_MIN} to {ITEM_MAX}; got {value!r}.",
                item=number,
            )
        if value < ITEM_MIN or value > ITEM_MAX:
            raise ScoringError(
                f"Item {number} ({ITEMS[number - 1].label}) must be from {ITEM_MIN} to "
                f"{ITEM_MAX}; got {value}.",
                item=number,
            )
    values = tuple(int(v) for v in items)
    total = sum(values)
    return Score(
        items=values,
        total=total,
        band=band_for_total(total),
        instrument_code=INSTRUMENT_CODE,
        instrument_version=INSTRUMENT_VERSION,
    )
