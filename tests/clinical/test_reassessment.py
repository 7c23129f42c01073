"""Tests for the reassessment interval (shared/domain/ciwa-b.md facility defaults)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical.ciwa_b import Band
from clinical.reassessment import IntervalRules, NextDue, next_due
from clinical.risk import Flag, Level

AT = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
SEIZURE = Flag("seizure_since_last", Level.CRITICAL, "Seizure since the last assessment.", "x")
HIGH = Flag("dose_above_50", Level.HIGH, "Dose above 50 mg.", "SA Health")


def test_defaults_match_source() -> None:
    rules = IntervalRules()
    assert (rules.none_mild, rules.moderate, rules.severe, rules.unable_or_critical) == (
        240,
        120,
        60,
        60,
    )
    assert "facility defaults, not published CIWA-B thresholds" in (IntervalRules.__doc__ or "")


@pytest.mark.parametrize(
    ("band", "minutes", "notify", "reason"),
    [
        ("none", 240, False, "None band: reassess in 4 h"),
        ("mild", 240, False, "Mild band: reassess in 4 h"),
        ("moderate", 120, False, "Moderate band: reassess in 2 h"),
        ("severe", 60, True, "Severe band: reassess in 1 h and notify the physician"),
        ("very_severe", 60, True, "Very severe band: reassess in 1 h and notify the physician"),
    ],
)
def test_each_band(band: str, minutes: int, notify: bool, reason: str) -> None:
    result = next_due(assessed_at=AT, band=band, flags=())
    assert result == NextDue(AT + timedelta(minutes=minutes), minutes, notify, reason)


def test_band_enum_accepted() -> None:
    assert next_due(assessed_at=AT, band=Band.MODERATE, flags=()).interval_minutes == 120


def test_unable_to_assess() -> None:
    result = next_due(assessed_at=AT, band=None, flags=())
    assert result.due_at == AT + timedelta(hours=1)
    assert result.notify_physician is True
    assert result.reason.startswith("Unable to assess")


@pytest.mark.parametrize("band", ["none", "mild", "moderate", "severe"])
def test_critical_flag_overrides_band(band: str) -> None:
    result = next_due(assessed_at=AT, band=band, flags=(HIGH, SEIZURE))
    assert result.interval_minutes == 60
    assert result.notify_physician is True
    assert "Seizure since the last assessment" in result.reason


def test_non_critical_flags_do_not_shorten() -> None:
    result = next_due(assessed_at=AT, band="mild", flags=(HIGH,))
    assert result.interval_minutes == 240
    assert result.notify_physician is False


def test_custom_rules() -> None:
    rules = IntervalRules(none_mild=360, moderate=90, severe=30, unable_or_critical=15)
    assert next_due(assessed_at=AT, band="mild", flags=(), rules=rules).interval_minutes == 360
    moderate = next_due(assessed_at=AT, band="moderate", flags=(), rules=rules)
    assert moderate.interval_minutes == 90
    assert moderate.reason == "Moderate band: reassess in 90 min"
    assert next_due(assessed_at=AT, band="severe", flags=(), rules=rules).interval_minutes == 30
    assert next_due(assessed_at=AT, band=None, flags=(), rules=rules).due_at == AT + timedelta(
        minutes=15
    )


@pytest.mark.parametrize("bad", [0, -60, True, 1.5])
def test_rules_reject_bad_minutes(bad: object) -> None:
    with pytest.raises(ValueError, match="moderate"):
        IntervalRules(moderate=bad)  # type: ignore[arg-type]


def test_unknown_band_rejected() -> None:
    with pytest.raises(ValueError, match="band"):
        next_due(assessed_at=AT, band="extreme", flags=())


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError, match="timezone"):
        next_due(assessed_at=datetime(2025, 3, 1, 8, 30), band="mild", flags=())


@given(
    st.sampled_from([None, *[b.value for b in Band]]),
    st.booleans(),
    st.datetimes(max_value=datetime(9000, 1, 1), timezones=st.just(UTC)),
)
def test_due_is_after_assessment_and_never_longer_than_band(
    band: str | None, critical: bool, at: datetime
) -> None:
    flags = (SEIZURE,) if critical else ()
    result = next_due(assessed_at=at, band=band, flags=flags)
    assert result.due_at > at
    assert result.due_at - at == timedelta(minutes=result.interval_minutes)
    if critical or band is None:
        assert result.interval_minutes == 60
        assert result.notify_physician


def test_a_new_admission_is_due_for_its_first_ciwa_b_at_admission() -> None:
    # Issue 20 item 4.
    from datetime import UTC, datetime

    from clinical.reassessment import SCHEDULE_VERSION, admission_due

    at = datetime(2025, 3, 1, 14, 5, tzinfo=UTC)
    due = admission_due(admitted_at=at)
    assert due.due_at == at and due.interval_minutes == 0
    assert due.reason == "New admission: first CIWA-B due at admission"
    assert SCHEDULE_VERSION == "2"


def test_admission_due_needs_an_aware_time() -> None:
    from datetime import datetime

    import pytest

    from clinical.reassessment import admission_due

    with pytest.raises(ValueError, match="timezone-aware"):
        admission_due(admitted_at=datetime(2025, 3, 1, 14, 5))
