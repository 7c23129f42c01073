"""When a dose administration may be said to have happened.

Source: tapering.md section 6 (doses of an *active* plan are given and recorded) and section 5
(a plan is active from its signature): a dose of a plan cannot have been given before the plan
was signed, nor before the patient was admitted, nor in the future. The future tolerance
(clock skew between a ward device and the server) is the caller's setting, not a clinical
number.

Pure domain code: no Django, no clock (``now`` is a parameter).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo


def _clock(value: datetime, zone: tzinfo | None) -> str:
    local = value.astimezone(zone) if zone is not None else value
    return f"{local:%d %b %H:%M}"


def administration_time_errors(
    occurred_at: datetime,
    *,
    now: datetime,
    signed_at: datetime | None,
    admitted_at: datetime,
    future_tolerance: timedelta = timedelta(0),
    zone: tzinfo | None = None,
) -> list[str]:
    """Why ``occurred_at`` cannot be the time of a dose, in words for the nurse (none: fine).

    Refused: after ``now`` (plus ``future_tolerance``), before the admission, and before the
    plan's signature (a plan signed at 23:31 has no dose given at 12:30 that day).
    """
    for name, value in (("occurred_at", occurred_at), ("now", now), ("admitted_at", admitted_at)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime.")
    errors = []
    if occurred_at > now + future_tolerance:
        errors.append("The time cannot be in the future.")
    if occurred_at < admitted_at:
        errors.append(
            f"The time is before the admission ({_clock(admitted_at, zone)}); check the time."
        )
    elif signed_at is not None and occurred_at < signed_at:
        errors.append(
            f"The time is before the plan was signed ({_clock(signed_at, zone)}): no dose of "
            "this plan could be given then; check the time."
        )
    return errors
