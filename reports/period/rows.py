"""The period report's assessment rows export: one row per assessment, streamed.

Part of ``reports.period`` (definitions in the package docstring: on time, entered in error).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assessments.models import Assessment, AssessmentStatus
from clinical.risk import LEVEL_LABELS
from reports import formatting
from reports.period.model import Period
from reports.period.stays import report_admissions
from reports.selectors import band_label, unable_label

ASSESSMENT_HEADER = [
    "Patient",
    "MRN",
    "Bed",
    "Assessed at",
    "Recorded at",
    "Late entry",
    "CIWA-B total",
    "Band",
    "Unable to assess",
    "Sedation level",
    "Highest flag",
    "Due by (set by previous assessment)",
    "On time",
    "Entered by",
    "Status",
    "Reason entered in error",
]
_FIELDS = (
    "admission_id",
    "assessed_at",
    "recorded_at",
    "is_late_entry",
    "total",
    "band",
    "unable_reason",
    "sedation_level",
    "highest_flag_level",
    "next_due_at",
    "status",
    "error_reason",
    "entered_by__first_name",
    "entered_by__last_name",
    "entered_by__username",
    "admission__patient__first_name",
    "admission__patient__last_name",
    "admission__patient__mrn",
    "admission__bed__label",
)


def _walk(period: Period, admission_ids: Any) -> Iterator[tuple[tuple[Any, ...], Any, Any]]:
    """Every assessment of the stays up to the period end, in order, with its due time.

    Yields (values, due_at, on_time) where due_at is the previous valid assessment's
    ``next_due_at`` and on_time is True/False, or None when not counted. Rows before the
    period are read only to know the first in-period due time; the caller skips them.
    """
    qs = (
        Assessment.objects.filter(admission_id__in=admission_ids, assessed_at__lt=period.end)
        .order_by("admission_id", "assessed_at", "id")
        .values_list(*_FIELDS)
    )
    current, due = None, None
    for values in qs.iterator(chunk_size=2000):
        if values[0] != current:
            current, due = values[0], None
        if values[10] != AssessmentStatus.VALID:
            yield values, None, None
            continue
        on_time = None if due is None else values[1] <= due
        yield values, due, on_time
        due = values[9]


def assessment_rows(period: Period) -> Iterator[list[Any]]:
    """One row per assessment in the period (including entries marked in error), streaming."""
    tz = period.unit.tz
    start = period.start
    status_labels = {s.value: s.label for s in AssessmentStatus}
    ids = report_admissions(period).values("pk")
    for values, due, on_time in _walk(period, ids):
        if values[1] < start:
            continue
        if values[10] != AssessmentStatus.VALID:
            timely = "Not counted (entered in error)"
        elif on_time is None:
            timely = "Not counted (first assessment)"
        elif on_time:
            timely = "Yes"
        else:
            timely = (
                f"No (late by {formatting.duration(formatting.minutes_between(due, values[1]))})"
            )
        entered_by = f"{values[12]} {values[13]}".strip() or values[14]
        yield [
            f"{values[15]} {values[16]}",
            values[17],
            values[18],
            formatting.stamp(values[1], tz),
            formatting.stamp(values[2], tz),
            "Yes" if values[3] else "No",
            "" if values[4] is None else values[4],
            band_label(values[5]) if values[5] else "",
            unable_label(values[6]) if values[6] else "",
            "" if values[7] is None else values[7],
            LEVEL_LABELS.get(values[8], values[8]),
            formatting.stamp(due, tz),
            timely,
            entered_by,
            status_labels.get(values[10], values[10]),
            values[11],
        ]


def assessment_row_count(period: Period) -> int:
    """How many rows ``assessment_rows`` gives (the job page's "of N rows"): one COUNT with
    the same stays and period bounds, instead of walking the rows twice."""
    return Assessment.objects.filter(
        admission_id__in=report_admissions(period).values("pk"),
        assessed_at__gte=period.start,
        assessed_at__lt=period.end,
    ).count()
