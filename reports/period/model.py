"""The period report's shapes: the period (whole unit-local days), per-stay figures, totals.

Part of ``reports.period`` (definitions in the package docstring).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from patients.models import Unit

NOT_AVAILABLE = "not available"


@dataclass(frozen=True)
class Period:
    unit: Unit
    start_date: dt.date
    end_date: dt.date  # inclusive

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.start_date, dt.time.min, tzinfo=self.unit.tz)

    @property
    def end(self) -> dt.datetime:
        next_day = self.end_date + dt.timedelta(days=1)
        return dt.datetime.combine(next_day, dt.time.min, tzinfo=self.unit.tz)

    def params(self) -> dict[str, str]:
        return {
            "unit": str(self.unit.public_id),
            "start": self.start_date.isoformat(),
            "end": self.end_date.isoformat(),
        }


@dataclass
class AdmissionStats:
    peak: int | None = None
    assessments: int = 0
    due_checked: int = 0
    on_time: int = 0


@dataclass
class PeriodSummary:
    admissions: int = 0
    discharges: int = 0
    transfers_in: int = 0
    transfers_out: int = 0
    los_mean_days: Decimal | None = None
    los_median_days: Decimal | None = None
    assessments: int = 0
    due_checked: int = 0
    on_time: int = 0
    escalations: int = 0
    escalations_by_kind: dict[str, int] = field(default_factory=dict)
    escalations_acknowledged: int = 0
    ack_median_minutes: int | None = None
    notifications: Any = NOT_AVAILABLE
    plan_median_hours: Any = NOT_AVAILABLE
    follow_ups: dict[str, int] = field(default_factory=dict)
    readmissions_30d: int = 0
    daily: list[tuple[dt.date, int, int]] = field(default_factory=list)
    peak_bands: dict[str, int] = field(default_factory=dict)
    rows: list[list[Any]] = field(default_factory=list)
    admission_public_ids: list[str] = field(default_factory=list)

    @property
    def follow_up_text(self) -> str:
        attended = self.follow_ups.get("attended", 0)
        seen = attended + self.follow_ups.get("missed", 0)
        if not seen:
            return "no follow-up recorded"
        return f"{round(100 * attended / seen)}% ({attended} of {seen} attended)"

    @property
    def on_time_text(self) -> str:
        if not self.due_checked:
            return "no assessment had a due time"
        share = round(100 * self.on_time / self.due_checked)
        return f"{share}% ({self.on_time} of {self.due_checked})"
