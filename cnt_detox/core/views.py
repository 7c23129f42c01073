from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache

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
    """Liveness for load balancers: the database answers a trivial query."""
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
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
