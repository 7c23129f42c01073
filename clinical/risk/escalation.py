"""One escalation per assessment, naming every reason, at its highest level (risk.md).

Source: ``shared/domain/risk.md`` "Escalation rules": any critical flag notifies the on-call
physician immediately (and the charge nurse); a CIWA-B rise of 10 or more notifies the
physician (design default); and ``ciwa-b.md``'s interval table: severe or very severe band and
"unable to assess" notify the physician. An assessment can meet several of these at once; the
physician must get ONE escalation for it, naming every reason, at the most urgent level (issue
20 item 8: three escalations with the same headline, one mislabelled, and acknowledging the
wrong one left the real critical flag open).

Pure domain code: no Django, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clinical.ciwa_b import BAND_LABELS, Band
from clinical.risk.base import Flag, Level

# Kinds, most urgent first: the escalation carries the first one that applies.
CRITICAL_FLAG = "critical_flag"
UNABLE_TO_ASSESS = "unable_to_assess"
SEVERE_BAND = "severe_band"
CIWA_RISE = "ciwa_rise"
KIND_ORDER = (CRITICAL_FLAG, UNABLE_TO_ASSESS, SEVERE_BAND, CIWA_RISE)

# Short words for a headline ("Seizure since last check: bed A2, 14:05"), by flag code.
_HEADLINE_WORDS = {
    "seizure_since_last": "Seizure since last check",
    "hallucinations": "New hallucinations",
    "confusion": "Confused or disoriented",
    "suicidal_thoughts": "Suicidal thoughts",
    "sedation_3": "Difficult to rouse (sedation 3)",
    "unable_difficult_to_rouse": "Unable to assess: difficult to rouse",
    "unable_confused": "Unable to assess: confused",
}
_UNABLE_WORDS = {
    "asleep_easily_roused": "Unable to assess: asleep (easily roused)",
    "difficult_to_rouse": "Unable to assess: difficult to rouse",
    "confused": "Unable to assess: confused",
    "refused": "Unable to assess: refused",
    "off_unit": "Unable to assess: off unit",
}


@dataclass(frozen=True)
class EscalationReason:
    kind: str
    text: str
    words: str  # the short form for a headline


@dataclass(frozen=True)
class EscalationDecision:
    """What one assessment escalates: its primary ``kind``, ``level``, every reason."""

    kind: str
    level: Level
    reasons: tuple[EscalationReason, ...]

    @property
    def summary(self) -> str:
        """The headline words: the most urgent reason, then how many more."""
        first = self.reasons[0].words
        more = len(self.reasons) - 1
        return first if not more else f"{first} (+{more} more)"

    @property
    def text(self) -> str:
        """Every reason in words, most urgent first."""
        return " ".join(r.text if r.text.endswith(".") else r.text + "." for r in self.reasons)


def escalation_for(
    flags: Sequence[Flag],
    *,
    total: int | None,
    band: str | None,
    unable_reason: str | None,
    severe_bands: Sequence[str] = ("severe", "very_severe"),
) -> EscalationDecision | None:
    """The one escalation an assessment raises, or None.

    Reasons, in this order: each critical flag (risk.md: page the physician now); unable to
    assess (ciwa-b.md); severe or very severe band (ciwa-b.md; its level high, a design
    default per risk.md "CIWA-B band severe or very severe"); CIWA-B rise (risk.md, design
    default). Level: critical when any critical flag is raised, otherwise high.
    """
    reasons: list[EscalationReason] = []
    for f in flags:
        if f.level == Level.CRITICAL:
            words = _HEADLINE_WORDS.get(f.code, f.reason.rstrip("."))
            reasons.append(EscalationReason(CRITICAL_FLAG, f.reason, words))
    if unable_reason:
        words = _UNABLE_WORDS.get(unable_reason, "Unable to assess")
        reasons.append(EscalationReason(UNABLE_TO_ASSESS, words + ".", words))
    if band in severe_bands:
        label = BAND_LABELS[Band(band)] if band in Band.__members__.values() else str(band)
        words = f"CIWA-B {total}, {label.lower()}"
        reasons.append(
            EscalationReason(SEVERE_BAND, f"CIWA-B {total}: {label.lower()} withdrawal.", words)
        )
    for f in flags:
        if f.code == "ciwa_rise":
            reasons.append(EscalationReason(CIWA_RISE, f.reason, "CIWA-B rising"))
            break
    if not reasons:
        return None
    # Drop a repeated headline (an "unable" reason also raised as a critical flag) but keep
    # the first, most urgent, occurrence.
    seen: set[str] = set()
    unique = []
    for r in sorted(reasons, key=lambda r: KIND_ORDER.index(r.kind)):
        if r.words not in seen:
            seen.add(r.words)
            unique.append(r)
    critical = any(r.kind == CRITICAL_FLAG for r in unique)
    return EscalationDecision(
        kind=unique[0].kind,
        level=Level.CRITICAL if critical else Level.HIGH,
        reasons=tuple(unique),
    )
