"""One escalation per assessment (issue 20 item 8): every reason, highest level, in words."""

from __future__ import annotations

from clinical.risk import Flag, Level
from clinical.risk.escalation import escalation_for

SEIZURE = Flag("seizure_since_last", Level.CRITICAL, "Seizure since the last assessment.", "x")
CONFUSED = Flag("confusion", Level.CRITICAL, "Confused or disoriented.", "x")
RISE = Flag("ciwa_rise", Level.HIGH, "CIWA-B rose 20 points since the last assessment.", "x")
SEVERE = Flag("ciwa_severe", Level.HIGH, "CIWA-B 45, severe withdrawal.", "x")


def test_severe_with_a_critical_flag_is_one_critical_escalation_naming_both() -> None:
    decision = escalation_for([SEIZURE, SEVERE], total=45, band="severe", unable_reason=None)
    assert decision is not None
    assert decision.kind == "critical_flag" and decision.level is Level.CRITICAL
    assert [r.kind for r in decision.reasons] == ["critical_flag", "severe_band"]
    assert decision.summary == "Seizure since last check (+1 more)"
    assert "Seizure since the last assessment." in decision.text
    assert "CIWA-B 45: severe withdrawal." in decision.text


def test_every_critical_flag_and_the_rise_are_named() -> None:
    decision = escalation_for(
        [SEIZURE, CONFUSED, RISE], total=30, band="moderate", unable_reason=None
    )
    assert decision is not None
    assert [r.words for r in decision.reasons] == [
        "Seizure since last check",
        "Confused or disoriented",
        "CIWA-B rising",
    ]


def test_severe_band_alone_is_high_and_labelled_as_severe() -> None:
    decision = escalation_for([SEVERE], total=62, band="very_severe", unable_reason=None)
    assert decision is not None
    assert decision.kind == "severe_band" and decision.level is Level.HIGH
    assert decision.summary == "CIWA-B 62, very severe"


def test_difficult_to_rouse_is_named_once() -> None:
    flag = Flag("unable_difficult_to_rouse", Level.CRITICAL, "CIWA-B not done: ...", "x")
    decision = escalation_for([flag], total=None, band=None, unable_reason="difficult_to_rouse")
    assert decision is not None
    assert [r.words for r in decision.reasons] == ["Unable to assess: difficult to rouse"]


def test_nothing_to_escalate() -> None:
    assert escalation_for([], total=5, band="mild", unable_reason=None) is None
