from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cnt_detox.core.middleware import session_remaining_seconds
from cnt_detox.core.navigation import nav_for
from cnt_detox.core.offline import offline_user_key


def session_info(request: HttpRequest) -> dict[str, Any]:
    """Idle expiry for the page footer ("Session ends at ... if idle")."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    remaining = session_remaining_seconds(request) if hasattr(request, "session") else 0
    return {
        "nav_items": nav_for(user),
        "session_idle_seconds": settings.SESSION_IDLE_TIMEOUT_SECONDS,
        "session_expires_epoch": int(time.time()) + remaining,
        # Seconds left as the server sees it; the page counts down from this, so the
        # client's clock does not matter, and asks the server again before acting on it.
        "session_remaining_seconds": remaining,
        "facility_name": settings.FACILITY_NAME,
        "offline_user_key": offline_user_key(user),
        "offline_page_max_age_seconds": settings.OFFLINE_PAGE_MAX_AGE_HOURS * 3600,
        "offline_precache_delay_seconds": settings.OFFLINE_PRECACHE_DELAY_SECONDS,
    }
