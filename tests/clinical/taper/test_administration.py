"""When a dose can have been given (issue 20 item 6): not before signing or admission, not later
than now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clinical.taper.administration import administration_time_errors

ADMITTED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SIGNED = datetime(2025, 3, 1, 23, 31, tzinfo=UTC)
NOW = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)


def errors(at: datetime, **kw: object) -> list[str]:
    args = {"now": NOW, "signed_at": SIGNED, "admitted_at": ADMITTED, **kw}
    return administration_time_errors(at, **args)  # type: ignore[arg-type]


def test_a_time_between_signing_and_now_is_fine() -> None:
    assert errors(SIGNED) == []
    assert errors(NOW) == []


def test_before_the_plan_was_signed_is_refused() -> None:
    (message,) = errors(datetime(2025, 3, 1, 12, 30, tzinfo=UTC))
    assert "before the plan was signed (01 Mar 23:31)" in message


def test_before_the_admission_is_refused() -> None:
    (message,) = errors(ADMITTED - timedelta(minutes=1))
    assert "before the admission" in message


def test_future_beyond_the_tolerance_is_refused() -> None:
    assert errors(NOW + timedelta(minutes=4), future_tolerance=timedelta(minutes=5)) == []
    assert errors(NOW + timedelta(minutes=6), future_tolerance=timedelta(minutes=5)) == [
        "The time cannot be in the future."
    ]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        errors(datetime(2025, 3, 2, 7, 0))
