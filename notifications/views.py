"""Pages: the notification list and the acknowledge button (works without JavaScript)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cnt_detox.core.audit import Client
from cnt_detox.core.permissions import clinician_required
from notifications import selectors, services
from notifications.wording import headline, notification_links

LIST_LIMIT = 100


def _rows(queryset):  # type: ignore[no-untyped-def]
    return [
        {"n": n, "headline": headline(n), **notification_links(n)} for n in queryset[:LIST_LIMIT]
    ]


@clinician_required
def notification_list(request: HttpRequest) -> HttpResponse:
    mine = selectors.notifications_for_user(request.user)
    open_rows = _rows(selectors.open_notifications_for_user(request.user).order_by("due_at"))
    recent = _rows(
        mine.exclude(acknowledged_at__isnull=True, resolved_at__isnull=True).order_by("-created_at")
    )
    return render(
        request,
        "notifications/list.html",
        {
            "open_rows": open_rows,
            "recent_rows": recent,
            "lead_minutes": settings.NOTIFICATIONS_REMINDER_LEAD_MINUTES,
        },
    )


@require_POST
@clinician_required
def notification_acknowledge(request: HttpRequest, public_id: str) -> HttpResponse:
    notification = selectors.notification_for_user(request.user, public_id)
    notification = services.notification_acknowledge(
        notification=notification, actor=request.user, client=Client.from_request(request)
    )
    messages.success(request, f"Acknowledged: {headline(notification)}.")
    return redirect("notifications:list")
