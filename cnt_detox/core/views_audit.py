"""Audit log viewer for admins: filter, page, export CSV (the export is itself audited).

The filter form is POSTed, not sent as a query string, so a patient's MRN typed into it
never lands in URLs, browser history or proxy logs.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cnt_detox.core import audit, registry
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.csv_export import ExportTable, csv_response
from cnt_detox.core.permissions import admin_required
from cnt_detox.core.selectors import (
    AuditFilter,
    audit_action_names,
    audit_events,
    audit_patient_id_by_mrn,
)

PAGE_SIZE = 50
CSV_COLUMNS = [
    "occurred_at_utc",
    "actor",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "patient_mrn",
    "ip_address",
    "changes",
    "details",
    "row_hash",
]


class AuditFilterForm(forms.Form):
    username = forms.CharField(required=False, max_length=150, label="User (username)")
    mrn = forms.CharField(required=False, max_length=32, label="Patient MRN")
    action = forms.CharField(
        required=False, max_length=64, label="Action (e.g. patient or patient.viewed)"
    )
    since = forms.DateField(required=False, label="From (UTC date)")
    until = forms.DateField(required=False, label="To (UTC date, inclusive)")
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return data

    def to_filter(self, user: Any) -> AuditFilter:
        data = self.cleaned_data
        patient_public_id = None
        if data.get("mrn"):
            patient_public_id = audit_patient_id_by_mrn(user, data["mrn"])
            if patient_public_id is None:
                # One message whether the MRN is unknown or another unit's (no oracle).
                self.add_error("mrn", "No patient of your units has that MRN.")

        def start_of(day: dt.date | None) -> dt.datetime | None:
            if day is None:
                return None
            return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)

        until = data.get("until")
        return AuditFilter(
            username=data.get("username", "").strip(),
            patient_public_id=patient_public_id,
            action=data.get("action", "").strip(),
            since=start_of(data.get("since")),
            until=start_of(until + dt.timedelta(days=1)) if until else None,
        )


def _mrns(events: list[Any]) -> dict[str, str]:
    # The patients app registers how public ids map to MRNs (one query a batch).
    ids = {e.patient_public_id for e in events if e.patient_public_id}
    return {str(pid): mrn for pid, mrn in registry.patient_mrns(ids).items()}


def _csv_rows(events: Any) -> Iterator[list[str]]:
    """Rows of the export, 1,000 events (and one MRN query) at a time."""
    batch: list[Any] = []

    def flush() -> Iterator[list[str]]:
        mrns = _mrns(batch)
        for e in batch:
            pid = str(e.patient_public_id or "")
            yield [
                e.occurred_at.astimezone(dt.UTC).isoformat(),
                e.actor_username,
                e.action,
                e.object_type,
                e.object_id,
                pid,
                mrns.get(pid, ""),
                e.ip_address or "",
                json.dumps(e.changes, sort_keys=True),
                json.dumps(e.details, sort_keys=True),
                e.row_hash or e.row_mac,
            ]

    for event in events.iterator(chunk_size=1000):
        batch.append(event)
        if len(batch) == 1000:
            yield from flush()
            batch = []
    yield from flush()


def _export(request: HttpRequest, events: Any, filters: AuditFilter) -> HttpResponse:
    """The audit CSV through the writer every export uses (cnt_detox.core.csv_export): BOM,
    formula-safe cells, the 42 CFR Part 2 notice and a SHA-256 line; the export is audited
    when streaming ends, with its row count and digest."""
    params = {
        "username": filters.username,
        "action": filters.action,
        "since": filters.since,
        "until": filters.until,
    }

    def on_done(rows: int, digest: str, completed: bool) -> None:
        audit.record(
            actor=request.user,
            action=AuditAction.AUDIT_EXPORTED,
            client=Client.from_request(request),
            patient_public_id=filters.patient_public_id,
            details={**params, "rows": rows, "sha256": digest, "completed": completed},
        )

    table = ExportTable(
        kind="audit",
        sheet="Audit log",
        header=CSV_COLUMNS,
        rows=_csv_rows(events),
        meta=["Times are UTC. Scope: events about your units' patients and by their staff."],
        params=params,
        filename_stem="audit",
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return csv_response(table, f"audit-{stamp}.csv", on_done)


@never_cache
@admin_required
@require_http_methods(["GET", "POST"])
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.POST if request.method == "POST" else {})
    page_obj = None
    rows: list[dict[str, Any]] = []
    if form.is_valid():
        filters = form.to_filter(request.user)
    if form.is_valid():  # to_filter may add an error (unknown MRN)
        events = audit_events(request.user, filters)
        if request.method == "POST" and "export" in request.POST:
            return _export(request, events, filters)
        paginator = Paginator(events, PAGE_SIZE)
        page_obj = paginator.get_page(form.cleaned_data.get("page") or 1)
        page_events = list(page_obj.object_list)
        mrns = _mrns(page_events)
        rows = [
            {"event": e, "mrn": mrns.get(str(e.patient_public_id or ""), "")} for e in page_events
        ]
    return render(
        request,
        "core/audit_log.html",
        {
            "form": form,
            "page_obj": page_obj,
            "rows": rows,
            "actions": audit_action_names(),
            # Granting the admin role is shown on its own so no one is made admin unseen.
            "role_grants": list(
                audit_events(request.user, AuditFilter(action=AuditAction.ROLE_GRANTED))[:20]
            ),
        },
        status=200 if form.is_valid() else 400,
    )
