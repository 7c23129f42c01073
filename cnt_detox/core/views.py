from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache

from cnt_detox.core.audit import seal_health
from cnt_detox.core.roles import Role
from patients.selectors import beds_with_occupancy, units_for_user

# Where each role lands after login: the page they use most.
ROLE_HOME = {
    Role.NURSE: "reports:board",
    Role.PHYSICIAN: "reports:board",
    Role.ADMIN: "reports:index",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    target = ROLE_HOME.get(request.user.role)
    if target:
        try:
            return redirect(reverse(target))
        except NoReverseMatch:
            pass
    units = units_for_user(request.user).order_by("name")
    beds = beds_with_occupancy(units).select_related("unit")
    by_unit: dict[Any, list[Any]] = {}
    for bed in beds:
        by_unit.setdefault(bed.unit, []).append(bed)
    return render(request, "core/home.html", {"units": by_unit})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers, reminders are on time, and the audit
    sealer keeps up."""
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
        # Reminder sweep heartbeat and late reminders (notifications/health.py explains when a
        # fresh install with no sweep yet is still healthy).
        from notifications.health import sweep_health

        try:
            sweep_ok, body["sweep"] = sweep_health()
        except Exception:  # a broken check must read as unhealthy, not as a 500
            sweep_ok, body["sweep"] = False, {"status": "error"}
        checks["sweep"] = "ok" if sweep_ok else "error"
        healthy = sweep_ok
        # Audit sealer: rows still unsealed after AUDIT_UNSEALED_LIMIT_SECONDS mean the beat
        # or the worker has stopped, and the newest audit rows are not yet tamper-evident.
        try:
            seal_ok, body["audit"] = seal_health()
        except Exception:  # a broken check must read as unhealthy, not as a 500
            seal_ok, body["audit"] = False, {"status": "error"}
        checks["audit_sealer"] = "ok" if seal_ok else "error"
        healthy = healthy and seal_ok
    body["status"] = "ok" if healthy else "error"
    return JsonResponse(body, status=200 if healthy else 503)
