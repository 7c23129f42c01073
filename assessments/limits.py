"""Input-validation limits for the numbers a nurse types next to a CIWA-B assessment.

These are NOT clinical thresholds and NOT published values. They only catch typing and
device errors (a heart rate of 0 or 400, a temperature in Fahrenheit): a reading inside them
is stored as entered and judged by the clinician. Nothing here raises a flag or changes the
schedule; flags come from ``clinical/risk/`` (risk.md).

Also here: how far in the future ``assessed_at`` may lie (device clocks drift) and after how
long an entry counts as "late"; both are app settings, not clinical thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings


@dataclass(frozen=True)
class Limit:
    label: str
    unit: str
    low: int | Decimal
    high: int | Decimal


# Physiologically possible ranges for a living adult inpatient, generous on purpose.
VITAL_LIMITS: dict[str, Limit] = {
    "heart_rate": Limit("Heart rate", "/min", 20, 250),
    "systolic_bp": Limit("Systolic blood pressure", "mmHg", 50, 300),
    "diastolic_bp": Limit("Diastolic blood pressure", "mmHg", 20, 200),
    "temperature_c": Limit("Temperature", "°C", Decimal("30.0"), Decimal("45.0")),
    "respiratory_rate": Limit("Respiratory rate", "/min", 4, 60),
    "spo2": Limit("SpO2", "%", 50, 100),
}
VITAL_FIELDS: tuple[str, ...] = tuple(VITAL_LIMITS)

# A phone clock a few minutes fast must not block a save; anything further ahead is a typo.
FUTURE_TOLERANCE = timedelta(minutes=5)


def late_entry_after() -> timedelta:
    """Entries recorded this long after ``assessed_at`` are marked late (app setting
    ``CIWA_LATE_ENTRY_MINUTES``, default 15; not a clinical threshold)."""
    return timedelta(minutes=settings.CIWA_LATE_ENTRY_MINUTES)
