from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.selectors import open_count_for_user


def bell(request: HttpRequest) -> dict[str, Any]:
    """Unacknowledged count for the topbar bell; the query runs only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_clinician:
        return {}
    return {
        "notification_bell": True,
        "notification_count": SimpleLazyObject(lambda: open_count_for_user(user)),
    }
