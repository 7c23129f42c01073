"""Oversedation: when to advise holding sedating doses.

Source: risk.md oversedation flags and tapering.md "giving doses" (SA Health sedation score:
withhold when not easily roused, level 2 or more), and ciwa-b.md "unable to assess" (difficult
to rouse, confused). This is the only implementation: ``tapering.selectors.sedation_advice``
calls it for the dose page and its API (the "Hold" advice, stored as ``sedation_advice_shown``
with each dose record) and for the medication record page ("Hold advised" on sedating
medicines). The unit board and the reminders do not show hold advice. The assessment flags
``sedation_2`` / ``sedation_3`` (clinical.risk.assessment) are risk.md's flag levels, a
separate rule whose reasons also say "hold".

Branch-mutation check: see tests/clinical/test_rule_branches.py.
"""

from __future__ import annotations

from clinical.ciwa_b import UnableReason

# SA Health sedation score (ciwa-b.md): 0 awake and alert, 1 easily roused, 2 easily roused but
# cannot stay awake, 3 difficult to rouse. risk.md flags 2 (high) and 3 (critical); tapering.md
# advises holding at 2 or more ("withhold if not easily roused").
CANNOT_STAY_AWAKE_LEVEL = 2
DIFFICULT_TO_ROUSE_LEVEL = 3
HOLD_AT_SEDATION_LEVEL = CANNOT_STAY_AWAKE_LEVEL
HOLD_WHEN_UNABLE = frozenset({UnableReason.DIFFICULT_TO_ROUSE, UnableReason.CONFUSED})


def hold_sedating_doses(sedation_level: int | None, unable_reason: str | None) -> bool:
    """True when sedating doses are advised held, from the latest valid assessment's sedation
    level and "unable to assess" reason (either may be missing)."""
    if sedation_level is not None and sedation_level >= HOLD_AT_SEDATION_LEVEL:
        return True
    return unable_reason in HOLD_WHEN_UNABLE
