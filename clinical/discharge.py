"""Discharge readiness: what is still open before a patient leaves the unit.

Source: /work/shared/domain/tapering.md section 2 (`inpatient`: "a hand-off dose (default
20 mg/day: eTG discharges only at 20 mg or less)") and section 6 (doses of an active plan are
recorded as given, held or refused); ciwa-b.md / risk.md (the reassessment schedule and
escalations acknowledged by a physician). Rules version ``discharge-1``.

Levels (a design decision of this app, not a published rule):
- ``block``: the discharge needs a physician and a stated reason (against medical advice,
  transfer to hospital, other): a daily dose above the eTG discharge dose, an unacknowledged
  escalation.
- ``warn``: the discharging clinician confirms they have seen it: a CIWA-B past its due time,
  doses due today that are not recorded, a taper plan still waiting for its second signature
  (so not in force: the summary would carry no continuing taper).

Pure: no Django, no clock; milligrams are Decimal; the caller passes the facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from clinical.taper.schedule import HAND_OFF_MAX_MG

RULES_VERSION = "discharge-1"

# eTG via tapering.md section 2: discharge only at 20 mg/day diazepam or less (the inpatient
# hand-off limit, defined once in clinical.taper.schedule.params).
DISCHARGE_MAX_DIAZEPAM_MG = HAND_OFF_MAX_MG

BLOCK = "block"
WARN = "warn"


@dataclass(frozen=True)
class Facts:
    """What the stay's records say at the moment of the check."""

    # Diazepam-equivalent mg/day of the active plan on the discharge day; None: no active plan.
    discharge_daily_diazepam_mg: Decimal | None
    plan_version: int | None
    open_escalations: int
    ciwa_due_at: dt.datetime | None  # next CIWA-B due (None: no active schedule)
    now: dt.datetime
    unrecorded_doses_today: int  # due up to now, today (unit-local), nothing recorded
    # A signed plan still waiting for the specialist's second signature (not in force).
    awaiting_second_version: int | None = None


@dataclass(frozen=True)
class Item:
    code: str
    level: str
    message: str
    source: str


def readiness(facts: Facts) -> tuple[Item, ...]:
    """The open items, blockers first. An empty result: ready for discharge."""
    items: list[Item] = []
    mg = facts.discharge_daily_diazepam_mg
    if mg is not None and mg > DISCHARGE_MAX_DIAZEPAM_MG:
        items.append(
            Item(
                "dose_above_discharge",
                BLOCK,
                f"The active taper plan (version {facts.plan_version}) gives {_mg(mg)} mg/day "
                f"diazepam equivalent on the discharge day: above "
                f"{_mg(DISCHARGE_MAX_DIAZEPAM_MG)} mg/day.",
                "eTG via tapering.md 2: discharge only at 20 mg/day diazepam or less",
            )
        )
    if facts.open_escalations:
        n = facts.open_escalations
        items.append(
            Item(
                "open_escalation",
                BLOCK,
                f"{n} escalation{'s' if n != 1 else ''} not acknowledged by a physician.",
                "risk.md: every notification is acknowledged by a person",
            )
        )
    if facts.ciwa_due_at is not None and facts.ciwa_due_at < facts.now:
        late = int((facts.now - facts.ciwa_due_at).total_seconds() // 60)
        items.append(
            Item(
                "ciwa_overdue",
                WARN,
                f"CIWA-B overdue by {late} min: record one before the patient leaves.",
                "ciwa-b.md: reassessment interval",
            )
        )
    if facts.unrecorded_doses_today:
        n = facts.unrecorded_doses_today
        items.append(
            Item(
                "doses_unrecorded",
                WARN,
                f"{n} dose{'s' if n != 1 else ''} due today not recorded as given, held or "
                "refused.",
                "tapering.md 6: each dose is recorded",
            )
        )
    if facts.awaiting_second_version is not None:
        items.append(
            Item(
                "plan_awaiting_second_signature",
                WARN,
                f"Taper plan version {facts.awaiting_second_version} waits for the specialist's "
                "second signature and is not in force.",
                "tapering.md 5: a plan is given once signed",
            )
        )
    return tuple(sorted(items, key=lambda i: i.level != BLOCK))


def _mg(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.quantize(Decimal("0.01")).normalize(), "f")
