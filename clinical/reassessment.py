"""When the next CIWA-B assessment is due.

Source: ``shared/domain/ciwa-b.md`` "Reassessment interval (facility defaults)" and
``shared/domain/risk.md`` "Escalation rules" (any critical flag: next assessment in 1 h, notify
the physician). Rule set version ``SCHEDULE_VERSION``.

No published CIWA-B interval exists: the intervals are facility defaults, not published CIWA-B
thresholds, following the band-driven pattern of the Western Australian CIWA-Ar chart. They are
per-unit configuration and must be shown as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from clinical.ciwa_b import BAND_LABELS, Band
from clinical.risk import Flag, Level

SCHEDULE_VERSION = "2"
"""1: first release. 2: a new admission is due for its first CIWA-B at admission."""


@dataclass(frozen=True)
class IntervalRules:
    """Reassessment intervals in minutes, per unit.

    These are facility defaults, not published CIWA-B thresholds (ciwa-b.md, after the WA
    CIWA-Ar chart): none/mild 4 h, moderate 2 h, severe/very severe 1 h, unable to assess or
    any critical flag 1 h.
    """

    none_mild: int = 240
    moderate: int = 120
    severe: int = 60
    unable_or_critical: int = 60

    def __post_init__(self) -> None:
        for name in ("none_mild", "moderate", "severe", "unable_or_critical"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of minutes, at least 1.")


@dataclass(frozen=True)
class NextDue:
    """When the next assessment is due, whether to notify the physician, and why."""

    due_at: datetime
    interval_minutes: int
    notify_physician: bool
    reason: str


def _duration(minutes: int) -> str:
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def next_due(
    *,
    assessed_at: datetime,
    band: str | None,
    flags: Sequence[Flag],
    rules: IntervalRules = IntervalRules(),  # frozen, so one shared default instance is safe
) -> NextDue:
    """Next due time after an assessment at ``assessed_at`` (ciwa-b.md interval table).

    ``band`` is None when CIWA-B could not be done. Unable to assess, or any critical flag
    (risk.md escalation): ``rules.unable_or_critical`` and notify the physician. Severe or very
    severe: ``rules.severe`` and notify the physician. Moderate: ``rules.moderate``. None or
    mild: ``rules.none_mild``. The most urgent applicable rule wins.
    """
    if assessed_at.tzinfo is None or assessed_at.utcoffset() is None:
        raise ValueError("assessed_at must be a timezone-aware datetime.")
    critical = [f for f in flags if f.level == Level.CRITICAL]
    if band is None or critical:
        minutes = rules.unable_or_critical
        if band is None:
            why = "Unable to assess"
        else:
            # The nurse reads this, so give the flags' reasons rather than their codes.
            why = "Critical flag (" + "; ".join(f.reason.rstrip(".") for f in critical) + ")"
        reason = f"{why}: reassess in {_duration(minutes)} and notify the physician"
        notify = True
    else:
        try:
            parsed = Band(band)
        except ValueError:
            raise ValueError(f"Unknown CIWA-B band {band!r}.") from None
        label = BAND_LABELS[parsed]
        if parsed in (Band.SEVERE, Band.VERY_SEVERE):
            minutes, notify = rules.severe, True
            reason = f"{label} band: reassess in {_duration(minutes)} and notify the physician"
        elif parsed == Band.MODERATE:
            minutes, notify = rules.moderate, False
            reason = f"{label} band: reassess in {_duration(minutes)}"
        else:
            minutes, notify = rules.none_mild, False
            reason = f"{label} band: reassess in {_duration(minutes)}"
    return NextDue(
        due_at=assessed_at + timedelta(minutes=minutes),
        interval_minutes=minutes,
        notify_physician=notify,
        reason=reason,
    )


def admission_due(*, admitted_at: datetime) -> NextDue:
    """The first CIWA-B of a stay is due at admission (a baseline before any taper decision).

    ciwa-b.md gives intervals only after an assessment; an admission has none yet, so the
    first one is due at once (interval 0) and then follows the reminder chain of risk.md
    "Escalation rules" like any due assessment (overdue by 30 minutes: the charge nurse; by
    60: the physician). No new clinical number: "now" is the admission time.
    """
    if admitted_at.tzinfo is None or admitted_at.utcoffset() is None:
        raise ValueError("admitted_at must be a timezone-aware datetime.")
    return NextDue(
        due_at=admitted_at,
        interval_minutes=0,
        notify_physician=False,
        reason=ADMISSION_DUE_REASON,
    )


ADMISSION_DUE_REASON = "New admission: first CIWA-B due at admission"
