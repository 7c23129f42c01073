"""Oversedation: when to advise holding sedating doses (risk.md; ciwa-b.md)."""

from __future__ import annotations

from clinical.ciwa_b import UnableReason
from clinical.risk.base import (
    AssessmentFacts,
)


def withhold_sedating_doses(current: AssessmentFacts) -> bool:
    """Advise holding sedating doses: sedation level 2 or more, or unable to assess because
    difficult to rouse or confused (SA Health sedation score; ciwa-b.md "unable to assess")."""
    if current.sedation_level is not None and current.sedation_level >= 2:
        return True
    return current.unable_reason in (UnableReason.DIFFICULT_TO_ROUSE, UnableReason.CONFUSED)
