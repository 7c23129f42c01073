"""Daily-dose bands (low / moderate / high) and the withdrawal-risk matrix at intake.

Source: /work/shared/domain/equivalence.md, transcribing the 2025 Joint Guideline Table 2
(daily-dose bands and withdrawal-risk matrix). Part of ``clinical.equivalence`` (module
version 2: a regimen with an agent that is not converted has no dose band unless its known
part is already high: ``regimen_dose_band``).

Pure domain code: no Django, no clock, milligrams as ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from clinical.equivalence.tables import EquivalenceError, _check_mg


class DoseBand(StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


# 2025 Joint Guideline Table 2: low <= 10 mg, moderate > 10 to 15 mg, high > 15 mg diazepam
# equivalent a day. The only definition of these cut-offs: the intake flag "above 15 mg" and the
# taper rule "high-dose dependence" import MODERATE_BAND_MAX_MG.
LOW_BAND_MAX_MG = Decimal("10")
MODERATE_BAND_MAX_MG = Decimal("15")


def dose_band(diazepam_mg: Decimal) -> DoseBand:
    """Daily-dose band in diazepam equivalents.

    2025 Joint Guideline Table 2 (via equivalence.md): low <= 10 mg, moderate > 10 to 15 mg,
    high > 15 mg.
    """
    _check_mg(diazepam_mg, "Diazepam dose")
    if diazepam_mg <= LOW_BAND_MAX_MG:
        return DoseBand.LOW
    if diazepam_mg <= MODERATE_BAND_MAX_MG:
        return DoseBand.MODERATE
    return DoseBand.HIGH


def regimen_dose_band(known_diazepam_mg: Decimal, *, any_unconverted: bool) -> DoseBand | None:
    """Dose band of a regimen, or None ("unknown") when an agent could not be converted.

    equivalence.md: an agent a table does not list is refused, never guessed ("titrate to the
    lowest dose that controls withdrawal", 2025 Joint Guideline), so its dose is unknown, not
    zero. The converted agents' total is then only a lower bound of the daily dose: the band
    (2025 Joint Guideline Table 2: low <= 10, moderate > 10 to 15, high > 15 mg) is known only
    when that lower bound is already in the top band (high); otherwise it is unknown.
    """
    band = dose_band(known_diazepam_mg)
    if any_unconverted and band is not DoseBand.HIGH:
        return None
    return band


class WithdrawalRisk(StrEnum):
    RARE = "rare"
    LOWER = "lower"
    EXPECTED = "expected"


WITHDRAWAL_RISK_LABELS: Mapping[WithdrawalRisk, str] = MappingProxyType(
    {
        WithdrawalRisk.RARE: "Rare",
        WithdrawalRisk.LOWER: "Lower but possible",
        WithdrawalRisk.EXPECTED: "Expected",
    }
)

_RARE_MAX_DAYS_PER_WEEK = 3
_SHORT_USE_MONTHS = Decimal("1")
_LONG_USE_MONTHS = Decimal("3")


def withdrawal_risk(
    days_per_week: int, duration_months: Decimal, band: DoseBand | None
) -> WithdrawalRisk | None:
    """Risk of clinically significant withdrawal at intake.

    2025 Joint Guideline Table 2 (via equivalence.md): <= 3 days a week: rare; >= 4 days a week
    for < 1 month: lower but possible; 1 to < 3 months: lower but possible at a low dose,
    expected at a moderate or high dose; >= 3 months: expected at any dose.

    ``band`` None means the dose is unknown (``regimen_dose_band``): the answer is given where
    the matrix does not depend on the band, and is None (unknown) where it does (1 to < 3
    months at >= 4 days a week), since guessing "low" would understate the risk.
    """
    if isinstance(days_per_week, bool) or not isinstance(days_per_week, int):
        raise EquivalenceError("Days per week must be a whole number.")
    if not 0 <= days_per_week <= 7:
        raise EquivalenceError(f"Days per week must be 0 to 7, got {days_per_week}.")
    if not isinstance(duration_months, Decimal):
        raise EquivalenceError("Duration in months must be a Decimal.")
    if not duration_months.is_finite() or duration_months < 0:
        raise EquivalenceError(f"Duration must be >= 0 months, got {duration_months}.")
    if band is not None:
        try:
            band = DoseBand(band)
        except ValueError:
            raise EquivalenceError(f"Unknown dose band {band!r}.") from None

    if days_per_week <= _RARE_MAX_DAYS_PER_WEEK:
        return WithdrawalRisk.RARE
    if duration_months < _SHORT_USE_MONTHS:
        return WithdrawalRisk.LOWER
    if duration_months < _LONG_USE_MONTHS:
        if band is None:
            return None
        return WithdrawalRisk.LOWER if band is DoseBand.LOW else WithdrawalRisk.EXPECTED
    return WithdrawalRisk.EXPECTED
