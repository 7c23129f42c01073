from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cnt_detox.core.offline import offline_user_key


def session_info(request: HttpRequest) -> dict[str, Any]:
    """Idle expiry for the page footer ("Session ends at ... if idle")."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from cnt_detox.core.middleware import LAST_ACTIVITY_KEY
    from cnt_detox.core.navigation import nav_for

    now = time.time()
    session = getattr(request, "session", None)
    last = session.get(LAST_ACTIVITY_KEY, now) if session is not None else now
    expires = int(last + settings.SESSION_IDLE_TIMEOUT_SECONDS)
    return {
        "nav_items": nav_for(user),
        "session_idle_seconds": settings.SESSION_IDLE_TIMEOUT_SECONDS,
        "session_expires_epoch": expires,
        # Seconds left as the server sees it; the page counts down from this, so the
        # client's clock does not matter.
        "session_remaining_seconds": max(0, int(expires - now)),
        "facility_name": settings.FACILITY_NAME,
        "offline_user_key": offline_user_key(user),
        "offline_page_max_age_seconds": settings.OFFLINE_PAGE_MAX_AGE_HOURS * 3600,
        "offline_precache_delay_seconds": settings.OFFLINE_PRECACHE_DELAY_SECONDS,
    }
