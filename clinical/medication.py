"""Benzodiazepine doses over 24 hours, and the gates on an as-needed (PRN) dose.

Sources:
- equivalence.md "Chlordiazepoxide": every table agrees 25 mg chlordiazepoxide = 10 mg
  diazepam, so a chlordiazepoxide dose counts as its milligrams / 2.5 in diazepam equivalents
  (``clinical.equivalence.CHLORDIAZEPOXIDE_PER_DIAZEPAM``). Only the two taper agents of
  tapering.md are PRN benzodiazepines here.
- ciwa-b.md: CIWA-B is a monitoring scale, no dose is ever derived from a total. The CIWA-B gate
  checks that a valid score was *recorded* recently, never what dose it implies.
- The recent-CIWA-B window (facility default 60 min), the minimum interval and the 24-hour
  ceiling are order fields set by the physician: not published thresholds.

Pure: no Django, no clock (``now`` is a parameter), Decimal milligrams.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from clinical.equivalence import CHLORDIAZEPOXIDE_PER_DIAZEPAM

RULES_VERSION = "1"
WINDOW = dt.timedelta(hours=24)

PRN_AGENTS = ("diazepam", "chlordiazepoxide")


def diazepam_equivalent(agent: str, mg: Decimal) -> Decimal:
    """Diazepam mg for a dose of a taper agent (equivalence.md: chlordiazepoxide / 2.5)."""
    if not isinstance(mg, Decimal):
        raise TypeError("mg must be a Decimal.")
    if mg < 0:
        raise ValueError("mg cannot be negative.")
    if agent == "diazepam":
        return mg
    if agent == "chlordiazepoxide":
        return mg / CHLORDIAZEPOXIDE_PER_DIAZEPAM
    raise ValueError(
        f"{agent!r} is not a benzodiazepine counted here (diazepam, chlordiazepoxide)."
    )


@dataclass(frozen=True)
class GivenDose:
    """A benzodiazepine dose given (scheduled or PRN); entered-in-error doses are not passed."""

    agent: str
    mg: Decimal
    given_at: dt.datetime


def _aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware.")


def total_24h(doses: Iterable[GivenDose], *, now: dt.datetime) -> Decimal:
    """Diazepam-equivalent mg given in the 24 hours up to and including ``now``.

    A rolling window, not the calendar day: a ceiling "per 24 h" must hold across midnight in
    the unit's zone as much as within one day.
    """
    _aware(now, "now")
    total = Decimal("0")
    for dose in doses:
        _aware(dose.given_at, "given_at")
        if now - WINDOW < dose.given_at <= now:
            total += diazepam_equivalent(dose.agent, dose.mg)
    return total


def peak_24h_with(doses: Iterable[GivenDose], new: GivenDose) -> Decimal:
    """The highest 24-hour total of any window that holds ``new`` once it is given.

    A ceiling "per 24 h" must hold in every 24-hour window, not only the one ending at the new
    dose: a dose recorded late (or two recorded at the same moment) may sit before doses already
    given, so the windows ending at each of those later doses are checked too.
    """
    doses = [*doses, new]
    ends = [new.given_at] + [
        d.given_at for d in doses if new.given_at < d.given_at < new.given_at + WINDOW
    ]
    return max(total_24h(doses, now=end) for end in ends)


@dataclass(frozen=True)
class PrnOrderFacts:
    agent: str
    dose_mg: Decimal
    min_interval: dt.timedelta
    max_diazepam_mg_24h: Decimal | None
    ciwa_within: dt.timedelta


@dataclass(frozen=True)
class GateResult:
    """Why a PRN dose may or may not be given now; ``ceiling`` failures may be overridden by a
    physician with a reason, the others may not."""

    ok: bool
    problems: tuple[tuple[str, str], ...]
    total_before_mg: Decimal
    total_after_mg: Decimal

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.problems)

    @property
    def only_ceiling(self) -> bool:
        return self.codes == ("ceiling",)


def prn_gate(
    order: PrnOrderFacts,
    *,
    now: dt.datetime,
    last_valid_ciwa_at: dt.datetime | None,
    nearest_prn_given_at: dt.datetime | None,
    doses_given: Iterable[GivenDose],
) -> GateResult:
    """Check a PRN benzodiazepine dose about to be given at ``now``.

    1. A valid CIWA-B (scored or "unable to assess") within ``order.ciwa_within`` before now.
    2. At least ``order.min_interval`` from the nearest PRN dose of the same medicine.
    3. Scheduled plus PRN benzodiazepine in the last 24 h, plus this dose, in diazepam
       equivalents, at or below ``order.max_diazepam_mg_24h`` when the order sets one.
    """
    _aware(now, "now")
    problems: list[tuple[str, str]] = []
    window_min = int(order.ciwa_within.total_seconds() // 60)
    if last_valid_ciwa_at is None or not (
        now - order.ciwa_within <= last_valid_ciwa_at <= now + dt.timedelta(minutes=5)
    ):
        problems.append(
            (
                "ciwa",
                f"No CIWA-B in the last {window_min} minutes: record a CIWA-B now, then the dose.",
            )
        )
    if nearest_prn_given_at is not None:
        # Nearest in either direction: a late entry must also keep its distance from a dose
        # recorded after it.
        gap = abs(now - nearest_prn_given_at)
        if gap < order.min_interval:
            minutes = int((order.min_interval - gap).total_seconds() // 60) + 1
            problems.append(
                (
                    "interval",
                    f"Too close to another as-needed dose: {minutes} more minutes are needed "
                    f"(at least {int(order.min_interval.total_seconds() // 60)} min apart).",
                )
            )
    doses_given = list(doses_given)
    before = total_24h(doses_given, now=now)
    after = peak_24h_with(doses_given, GivenDose(order.agent, order.dose_mg, now))
    if order.max_diazepam_mg_24h is not None and after > order.max_diazepam_mg_24h:
        problems.append(
            (
                "ceiling",
                f"This dose would make {after.normalize():f} mg diazepam equivalent in 24 hours, "
                f"above the order's maximum of {order.max_diazepam_mg_24h.normalize():f} mg "
                f"(already given: {before.normalize():f} mg).",
            )
        )
    return GateResult(not problems, tuple(problems), before, after)
