"""What this app gives the lower apps through cnt_detox.core.registry and core.hooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aftercare import presenters, selectors, services


def patient_page_context(user: Any, admission: Any, now: Any) -> dict[str, Any]:
    """Context of the "Discharge and aftercare" card of the patient page (fixed queries)."""
    if not getattr(user, "is_clinician", False):
        return {"aftercare_panel": None}
    return {
        "aftercare_panel": {
            "items": presenters.with_links(
                selectors.readiness_for(admission, now) if admission.is_open else [], admission
            ),
            "aftercare": selectors.current_aftercare(admission),
            "summary": selectors.current_summary(admission),
            "follow_up_count": len(
                [f for f in selectors.follow_ups(admission) if f.status == "scheduled"]
            ),
        }
    }


def discharge_guard(*, admission: Any, actor: Any, override: Mapping[str, Any] | None) -> None:
    services.check_readiness(admission, actor, override)
