"""Builds the exported tables and answers in the asked format, auditing each export.

Shared by the pages and the API so both produce the same file for the same parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.utils.text import slugify

from cnt_detox.core.audit import Client
from patients.models import Unit
from reports import exports, formatting, services
from reports.census import CENSUS_HEADER, census_rows
from reports.period import (
    ADMISSION_HEADER,
    ASSESSMENT_HEADER,
    Period,
    PeriodSummary,
    assessment_rows,
)
from reports.period import period_summary as _period_summary


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_+-]+", "-", text).strip("-")


def _exported(now: dt.datetime, tz: dt.tzinfo, actor: Any) -> str:
    return f"Exported {formatting.stamp(now, tz)} by {actor.display_name} ({actor.get_username()})"


def census_table(
    *,
    unit: Unit | None,
    units: Sequence[Unit],
    at: dt.datetime | None,
    now: dt.datetime,
    actor: Any,
) -> exports.ExportTable:
    when = at or now
    tz = unit.tz if unit else dt.UTC
    scope = unit.name if unit else "All units: " + ", ".join(u.name for u in units)
    return exports.ExportTable(
        kind="census",
        sheet="Census",
        header=CENSUS_HEADER,
        rows=census_rows(units, when),
        meta=[
            f"Census of {scope} at {formatting.stamp(when, tz)}"
            + (" (rebuilt from admission, transfer and discharge history)" if at else ""),
            _exported(now, tz, actor),
        ],
        params={
            "unit": str(unit.public_id) if unit else "all",
            "at": when.isoformat(),
            "historical": at is not None,
        },
        filename_stem=(
            f"census_{slugify(unit.name) if unit else 'all-units'}_"
            f"{_safe(when.astimezone(tz).strftime('%Y-%m-%dT%H%M%Z'))}"
        ),
    )


def period_table(
    *,
    period: Period,
    rows: str,
    now: dt.datetime,
    actor: Any,
    summary: PeriodSummary | None = None,
) -> exports.ExportTable:
    """``summary``: pass one already computed for the same period, so the stay rows reuse it
    instead of walking every assessment of the period a second time."""
    tz = period.unit.tz
    if rows == "assessments":
        header, data, sheet = ASSESSMENT_HEADER, assessment_rows(period), "Assessments"
    else:
        header, sheet = ADMISSION_HEADER, "Stays"
        data = iter((summary or _period_summary(period, now=now)).rows)
    return exports.ExportTable(
        kind=f"period_{rows}",
        sheet=sheet,
        header=header,
        rows=data,
        meta=[
            f"{sheet} of {period.unit.name}, {period.start_date} to {period.end_date} "
            f"(whole days, {period.unit.time_zone})",
            _exported(now, tz, actor),
        ],
        params={**period.params(), "rows": rows},
        filename_stem=(
            f"period-{rows}_{slugify(period.unit.name)}_{period.start_date}_to_{period.end_date}"
            f"_exported-{_safe(now.astimezone(tz).strftime('%Y-%m-%dT%H%M%Z'))}"
        ),
    )


def export_response(
    request: HttpRequest, table: exports.ExportTable, fmt: str, extra: dict[str, Any] | None = None
) -> HttpResponseBase:
    filename = f"{table.filename_stem}.{fmt}"
    user = request.user

    def on_done(rows: int, sha256: str, completed: bool) -> None:
        services.export_audit(
            actor=user,
            client=Client.from_request(request),
            kind=table.kind,
            fmt=fmt,
            params=table.params,
            filename=filename,
            rows=rows,
            sha256=sha256,
            completed=completed,
        )

    if fmt == "xlsx":
        return exports.xlsx_response(table, filename, on_done)
    if fmt == "json":
        return exports.json_response(table, on_done, extra or {})
    return exports.csv_response(table, filename, on_done)
