from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from cnt_detox.core import registry


def member_units(user: Any) -> list[Any]:
    return list(user.units.order_by("name"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # Where each role lands after login: the page they use most, registered by its app.
    target = registry.role_home(request.user.role)
    if target:
        return redirect(reverse(target))
    # Only a user with no role lands here (e.g. a fresh superuser): name their units.
    return render(request, "core/home.html", {"units": member_units(request.user)})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers, and reminders are on time."""
    checks: dict[str, str] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:  # any database failure means "unhealthy", whatever its class
        checks["database"] = "error"
        healthy = False
    body: dict[str, Any] = {"checks": checks}
    if healthy:
        # Checks the apps registered (e.g. the reminder sweep heartbeat, notifications/health.py).
        for check in registry.health_checks():
            try:
                ok, body[check.name] = check.check()
            except Exception:  # a broken check must read as unhealthy, not as a 500
                ok, body[check.name] = False, {"status": "error"}
            checks[check.name] = "ok" if ok else "error"
            healthy = healthy and ok
    body["status"] = "ok" if healthy else "error"
    return JsonResponse(body, status=200 if healthy else 503)
