"""Pages: the unit board (nurses, physicians) and the reports (admins)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cnt_detox.core.audit import Client
from cnt_detox.core.middleware import background_view, is_background
from cnt_detox.core.permissions import admin_required, clinician_required
from patients.selectors import unit_for_user
from reports import charts, formatting, services, tables
from reports.forms import CensusForm, PeriodForm
from reports.period import ADMISSION_HEADER, Period, period_summary
from reports.selectors import board_rows, board_units

# The period page's download buttons: (rows, format, label); each starts an export job.
EXPORT_CHOICES = [
    ("admissions", "csv", "Stays (CSV)"),
    ("admissions", "xlsx", "Stays (XLSX)"),
    ("assessments", "csv", "Assessments (CSV)"),
    ("assessments", "xlsx", "Assessments (XLSX)"),
]
# Seconds between background refreshes of the board (board.js reads it from the page).
BOARD_REFRESH_SECONDS = 30


def _board(request: HttpRequest) -> dict[str, Any]:
    units = board_units(request.user)
    selected = None
    wanted = request.GET.get("unit")
    if wanted:
        # The user's units are loaded already; the same access rule (unit_for_user, 404
        # outside them) without a second query for the common case.
        selected = next((u for u in units if str(u.public_id) == wanted), None)
        if selected is None:
            selected = unit_for_user(request.user, wanted)
    shown = [selected] if selected else units
    now = timezone.now()
    rows = board_rows(shown, now)
    services.board_view_audit(
        actor=request.user,
        client=Client.from_request(request),
        unit_public_ids=[str(u.public_id) for u in shown],
        admission_public_ids=[r.key for r in rows],
        background=is_background(request),
    )
    zones = {u.time_zone: u for u in shown}
    updated = "; ".join(formatting.clock(now, u.tz, now) for u in zones.values())
    return {
        "units": units,
        "selected": selected,
        "rows": rows,
        "updated": updated,
        "refresh_seconds": BOARD_REFRESH_SECONDS,
        "multi_unit": len(shown) > 1,
    }


@require_GET
@clinician_required
def board(request: HttpRequest) -> HttpResponse:
    """The unit board. Admins get 403: it is a clinical worklist; they use the census."""
    return render(request, "reports/board.html", _board(request))


@background_view
@require_GET
@clinician_required
def board_rows_fragment(request: HttpRequest) -> HttpResponse:
    """The board's table body alone, for board.js to swap in."""
    return render(request, "reports/_board_body.html", _board(request))


@require_GET
@admin_required
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/index.html",
        {
            "census_form": CensusForm(user=request.user),
            "period_form": PeriodForm(user=request.user),
        },
    )


@require_GET
@admin_required
def census_export(request: HttpRequest) -> HttpResponseBase:
    form = CensusForm(request.GET, user=request.user)
    if not form.is_valid():
        context = {"census_form": form, "period_form": PeriodForm(user=request.user)}
        return render(request, "reports/index.html", context, status=400)
    unit = form.cleaned_data["unit"]
    table = tables.census_table(
        unit=unit,
        units=[unit] if unit else form.units,
        at=form.cleaned_data["at"],
        now=timezone.now(),
        actor=request.user,
    )
    return tables.export_response(request, table, form.cleaned_data["format"])


@require_GET
@admin_required
def period(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None, user=request.user)
    context: dict[str, Any] = {"period_form": form, "header": ADMISSION_HEADER}
    if form.is_bound and form.is_valid():
        report = Period(
            form.cleaned_data["unit"], form.cleaned_data["start"], form.cleaned_data["end"]
        )
        summary = period_summary(report, now=timezone.now())
        services.period_view_audit(
            actor=request.user,
            client=Client.from_request(request),
            params=report.params(),
            admission_ids=summary.admission_public_ids,
        )
        labels = [d.strftime("%d %b") for d, _, _ in summary.daily]
        context.update(
            report=report,
            summary=summary,
            export_choices=EXPORT_CHOICES,
            daily_chart=charts.bar_chart(
                "Admissions and discharges per day",
                labels,
                [
                    ("Admissions", [a for _, a, _ in summary.daily]),
                    ("Discharges", [d for _, _, d in summary.daily]),
                ],
                chart_id="daily",
            ),
            peak_chart=charts.bar_chart(
                "Stays by peak CIWA-B band in the period",
                list(summary.peak_bands),
                [("Stays", list(summary.peak_bands.values()))],
                chart_id="peaks",
            ),
        )
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "reports/period.html", context, status=status)


@require_GET
@admin_required
def period_export(request: HttpRequest) -> HttpResponseBase:
    form = PeriodForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(
            request, "reports/period.html", {"period_form": form, "header": []}, status=400
        )
    data = form.cleaned_data
    report = Period(data["unit"], data["start"], data["end"])
    table = tables.period_table(
        period=report, rows=data["rows"], now=timezone.now(), actor=request.user
    )
    return tables.export_response(request, table, data["format"])
