"""What this app registers with the lower apps (cnt_detox.core.registry), from ready()."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.template.loader import render_to_string

from aftercare import presenters, selectors, services


def patient_panel(request: Any, admission: Any) -> str | None:
    """The "Discharge and aftercare" card of the patient page (a few fixed queries)."""
    if not getattr(request.user, "is_clinician", False):
        return None
    context = {
        "admission": admission,
        "items": presenters.with_links(
            selectors.readiness_for(admission) if admission.is_open else [], admission
        ),
        "aftercare": selectors.current_aftercare(admission),
        "summary": selectors.current_summary(admission),
        "follow_up_count": len(
            [f for f in selectors.follow_ups(admission) if f.status == "scheduled"]
        ),
    }
    return render_to_string("aftercare/_patient_panel.html", context, request=request)


def discharge_guard(admission: Any, actor: Any, override: Mapping[str, Any] | None) -> None:
    services.check_readiness(admission, actor, override)
