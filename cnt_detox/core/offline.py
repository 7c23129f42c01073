"""Entries saved on a device without a connection and sent later (issue 14).

The bedside app queues a CIWA-B or a dose record on the device when Save cannot reach the
server and sends it when the connection returns. It sends ``recorded_offline_at``: when Save
was pressed, by the device clock. The services use it as the time of the assessment or dose
(unless the nurse typed one) and store it; ``recorded_at`` stays the time the server received
the entry. These limits are operational settings, not published clinical thresholds.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

# A phone clock a few minutes fast must not block a save (the same tolerance as assessments).
CLOCK_TOLERANCE = timedelta(minutes=5)


def entry_max_age() -> timedelta:
    """How long an entry may wait on the device (setting OFFLINE_ENTRY_MAX_AGE_HOURS, 12 h)."""
    return timedelta(hours=settings.OFFLINE_ENTRY_MAX_AGE_HOURS)


def page_max_age() -> timedelta:
    """How long a page saved for offline use is shown (setting OFFLINE_PAGE_MAX_AGE_HOURS)."""
    return timedelta(hours=settings.OFFLINE_PAGE_MAX_AGE_HOURS)


def recorded_offline_errors(value: datetime | None, *, now: datetime) -> list[str]:
    """Messages (empty when acceptable) for a client-side "Save pressed at" time."""
    if value is None:
        return []
    if value.tzinfo is None:
        return ["Give the time Save was pressed with its time zone."]
    if value > now + CLOCK_TOLERANCE:
        return [
            "This entry says it was saved on the device in the future. Check the device "
            "clock, then record the entry again."
        ]
    hours = settings.OFFLINE_ENTRY_MAX_AGE_HOURS
    if now - value > entry_max_age():
        return [
            f"This entry waited on the device for more than {hours} hours and was not "
            "accepted. Record it again, giving the time it happened (a late entry)."
        ]
    return []


# The service worker sends queued entries to the same form URLs as the page, with this
# header, and reads a short JSON answer instead of following the HTML redirect.
REPLAY_HEADER = "HTTP_X_OFFLINE_REPLAY"


def is_offline_replay(request: HttpRequest) -> bool:
    return request.META.get(REPLAY_HEADER) == "1"


# The service worker saves the pages of the patients on the unit board for offline use with
# this header: the audit log says "saved for offline use", not "opened".
PRECACHE_HEADER = "HTTP_X_OFFLINE_PRECACHE"


def is_offline_precache(request: HttpRequest) -> bool:
    return request.META.get(PRECACHE_HEADER) == "1"


def received_reply(*, message: str, url: str, received_at: str, replayed: bool) -> JsonResponse:
    """The server stored the entry (or already had it: ``replayed``)."""
    return JsonResponse(
        {
            "status": "received",
            "message": message,
            "url": url,
            "received_at": received_at,
            "replayed": replayed,
        },
        status=201,
    )


def refused_reply(errors: dict[str, list[str]], *, status: int = 400) -> JsonResponse:
    """The server will never take this entry as sent: the reason is shown to the nurse."""
    reason = " ".join(m for messages in errors.values() for m in messages)
    return JsonResponse(
        {"status": "refused", "reason": reason or "The entry was not accepted.", "fields": errors},
        status=status,
    )


def offline_user_key(user: Any) -> str:
    """Names this user's stores on the device without showing who it is (not the user id)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"offline-user:{user.pk}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:24]
