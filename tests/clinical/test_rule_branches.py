"""One rule, one place: the thresholds shared by several rules are one object, and the
sedation hold rule's branches are pinned where it is called (``hold_sedating_doses``).

Branch-mutation check (tests/clinical/mutation_check.py, run by hand; the worktree is never
changed). S14/S15 mutated ``withhold_sedating_doses``, a wrapper with no caller outside the
tests, since removed (both were caught). Each mutation below was applied alone and the test
named after it failed first; only Z19 survived the first run, and a test below now catches
it. Sedation hold rule, clinical/risk/sedation.py (caught by tests/clinical/test_risk.py):
- S1 ``>=`` -> ``>``, S6 ``return True`` -> ``False``, S12 a level >= 2 holds only when also
  unable to assess: ``test_withhold_by_sedation[2-True]``;
- S2 ``>=`` -> ``==``: ``test_withhold_by_sedation[3-True]``; S3 level 2 -> 1:
  ``[1-False]``; S4 level 2 -> 3: ``[2-True]``; S5 no None guard, S8 ``in`` -> ``not in``:
  ``[None-False]``;
- S7 unable reason ignored, S9 difficult-to-rouse dropped from the set, S13 a recorded level
  hides the unable reason, S16 the reason counts only without a level:
  ``test_withhold_by_unable_reason[difficult_to_rouse-True]``; S10 confused dropped:
  ``[confused-True]``; S11 asleep-easily-roused added: ``[asleep_easily_roused-False]``.
Dose bands and withdrawal risk, clinical/equivalence/bands.py (tests/clinical/
test_equivalence.py):
- B1 ``<= 10`` -> ``< 10``, B3 10 -> 9.99: ``test_dose_band[mg1-low]``; B2 ``<= 15`` ->
  ``< 15``, B5 15 -> 14.99: ``[mg3-moderate]``; B4 10 -> 10.01, B7 moderate -> high:
  ``[mg2-moderate]``; B6 15 -> 15.01, B9 high -> moderate: ``[mg4-high]``; B8 low ->
  moderate: ``[mg0-low]``; B10 the mg check removed: ``test_dose_band_rejects_negative``;
- B11 any unconverted agent -> unknown, B13 ``and`` -> ``or``:
  ``test_regimen_band_with_an_unconverted_agent_is_unknown_unless_already_high[known3-high]``;
  B12 the unconverted condition dropped:
  ``test_regimen_band_without_unconverted_agents_is_the_plain_band``; B14 only low is unknown:
  ``[known2-None]``; B15 unknown never returned: ``[known0-None]``;
- W1 ``<= 3`` days -> ``< 3``: ``test_withdrawal_risk_matrix[3-0-low-rare]``; W2 ``< 1``
  month -> ``<= 1``, W5 moderate read as low: ``[4-1-moderate-expected]``; W3 ``< 3`` months ->
  ``<= 3``, W8 long use at a low dose read as lower: ``[4-3-low-expected]``; W4 unknown band
  guessed:
  ``test_withdrawal_risk_with_unknown_band_is_unknown_only_where_the_band_matters``; W6 short
  use read as expected, W11 rare up to 4 days: ``[4-0-low-lower]``; W7 rare read as lower:
  ``[0-0-low-rare]``; W9 8 days a week allowed, W10 negative months allowed:
  ``test_withdrawal_risk_rejects_bad_input``.
Seizure risk, clinical/risk/intake.py, assessment.py, setting.py, base.py (test_risk.py):
- Z1 epilepsy dropped from the history flag: ``test_history_of_seizures_or_epilepsy_is_high[
  epilepsy]``; Z2 withdrawal seizures dropped, Z3 ``or`` -> ``and``, Z4 level high ->
  elevated: ``[withdrawal_seizures]``;
- Z5 abrupt stop flagged at any band: ``test_moderate_band_abrupt_stop_not_flagged``; Z6 high
  band flagged without a stop, Z7 ``and`` -> ``or``: ``test_high_band_stop_exactly_24h_not_
  flagged``; Z8 seizure flag high -> elevated, Z18 delirium flag elevated -> high:
  ``test_high_band_abrupt_stop_raises_seizure_high_and_delirium_elevated``;
- Z9 ``> 24 h`` -> ``>=``, Z11 24 h -> 23 h: ``test_short_acting_last_dose_exactly_24h_not_
  flagged``; Z12 24 h -> 25 h: ``test_short_acting_last_dose_over_24h_is_elevated``; Z10 an
  unknown last dose taken as stopped: ``test_short_acting_unknown_last_dose_not_flagged``;
- Z13 seizure since the last assessment ignored: ``test_observations_are_critical[seizure-
  seizure_since_last]``; Z14 / Z15 epilepsy / seizures dropped from the inpatient setting:
  ``test_inpatient_criteria[overrides3]`` / ``[overrides2]``; Z16 / Z17 other CNS depressants /
  alcohol dropped from the co-use flag: ``test_co_use_is_elevated[...]``;
- Z19 only the first agent checked for an abrupt stop SURVIVED the first run: no test had a
  second agent stopped. ``test_every_agent_is_checked_for_an_abrupt_stop`` below now kills it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from clinical import discharge
from clinical.equivalence import MODERATE_BAND_MAX_MG, DoseBand
from clinical.risk import (
    DOSE_BANDS,
    DOSE_UNKNOWN,
    HIGH_BAND_DOSE_MG,
    Level,
    SubstanceFacts,
    hold_sedating_doses,
    intake_flags,
)
from clinical.risk import OLDER_ADULT_AGE as RISK_OLDER_ADULT_AGE
from clinical.taper import rules
from clinical.taper.schedule import HAND_OFF_MAX_MG, INPATIENT_DAILY_PERCENT, InpatientParams
from tests.clinical.test_risk import NOW, codes, make_intake


def test_the_15_mg_high_band_cut_off_is_one_object() -> None:
    assert HIGH_BAND_DOSE_MG is MODERATE_BAND_MAX_MG
    assert rules.HIGH_DOSE_ABOVE_MG is MODERATE_BAND_MAX_MG


def test_age_65_is_one_object() -> None:
    assert rules.OLDER_ADULT_AGE is RISK_OLDER_ADULT_AGE


def test_the_20_mg_hand_off_and_discharge_limit_is_one_object() -> None:
    assert discharge.DISCHARGE_MAX_DIAZEPAM_MG is HAND_OFF_MAX_MG
    assert InpatientParams().hand_off_mg is HAND_OFF_MAX_MG


def test_the_inpatient_10_percent_is_one_object() -> None:
    assert rules.INPATIENT_MAX_DAILY_PERCENT is INPATIENT_DAILY_PERCENT
    assert InpatientParams.DEFAULT_REDUCTION_PERCENT is INPATIENT_DAILY_PERCENT


def test_dose_band_names_come_from_the_enum() -> None:
    assert {*(b.value for b in DoseBand), DOSE_UNKNOWN} == DOSE_BANDS


@pytest.mark.parametrize(
    ("level", "reason", "hold"),
    [
        # The level alone decides when no reason is given (the dose page passes None for "").
        (None, None, False),
        (1, None, False),
        (2, None, True),
        # A reason that advises holding wins over a low level, and vice versa.
        (0, "difficult_to_rouse", True),
        (1, "confused", True),
        (2, "refused", True),
        (3, "asleep_easily_roused", True),
        (1, "asleep_easily_roused", False),
        (None, "off_unit", False),
    ],
)
def test_hold_sedating_doses_reads_the_level_and_the_reason(
    level: int | None, reason: str | None, hold: bool
) -> None:
    assert hold_sedating_doses(level, reason) is hold


def test_every_agent_is_checked_for_an_abrupt_stop() -> None:
    """The second agent, not the first, was stopped more than 24 h ago at a high band."""
    taken_today = SubstanceFacts("diazepam", Decimal("10"), NOW - timedelta(hours=2), False)
    stopped = SubstanceFacts("alprazolam", Decimal("20"), NOW - timedelta(hours=30), True)
    intake = make_intake(
        total_diazepam_mg=Decimal("30"), dose_band="high", substances=(taken_today, stopped)
    )
    flags = intake_flags(intake, as_of=NOW)
    assert codes(flags)["high_dose_abrupt_stop_seizure"] == Level.HIGH
    assert codes(flags)["short_acting_stopped"] == Level.ELEVATED
    seizure = next(f for f in flags if f.code == "high_dose_abrupt_stop_seizure")
    assert "alprazolam" in seizure.reason and "diazepam" not in seizure.reason
