"""Period report: admissions, discharges, length of stay, CIWA-B peaks, timeliness, escalations.

Definitions (shown on the page and in the README):
- The period is whole days in the unit's time zone, from the start date 00:00 to the end of
  the end date.
- Admissions: stays whose first placement was on the unit and that began in the period.
  Discharges: stays that ended in the period while on the unit.
- Stays in the report: stays that overlap the period and were on the unit at some time.
- On time: an assessment is on time when it was done no later than the due time set by the
  previous valid assessment of the same stay (``Assessment.next_due_at``). A stay's first
  assessment has no due time and is not counted; entries marked "entered in error" neither.
- Follow-ups: appointments after discharge of this unit's stays that fall in the period, by
  outcome; attendance is attended / (attended + did not attend).
- Readmissions within 30 days: discharges from the unit in the period whose patient (same MRN)
  was admitted again within 30 days of that discharge (issue 16's definition; a reporting
  window, not a clinical threshold).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from aftercare.selectors import follow_up_counts
from assessments.models import Assessment, AssessmentStatus, Escalation, EscalationKind
from clinical.ciwa_b import band_for_total
from patients.models import Admission, AdmissionMovement, Unit
from reports import formatting
from reports.selectors import LEVEL_LABELS, PLAN_LABELS, band_label, unable_label
from tapering.selectors import plan_status_by_admission

NOT_AVAILABLE = "not available"
ADMISSION_HEADER = [
    "Patient",
    "MRN",
    "Bed",
    "Admitted",
    "Discharged",
    "Length of stay (days)",
    "Peak CIWA-B in period",
    "Peak band",
    "Assessments in period",
    "Assessed on time",
    "Admission to signed taper plan (hours)",
    "Taper plan",
    "Escalations in period",
    "Escalations not acknowledged",
]
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


@dataclass(frozen=True)
class Period:
    unit: Unit
    start_date: dt.date
    end_date: dt.date  # inclusive

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.start_date, dt.time.min, tzinfo=self.unit.tz)

    @property
    def end(self) -> dt.datetime:
        next_day = self.end_date + dt.timedelta(days=1)
        return dt.datetime.combine(next_day, dt.time.min, tzinfo=self.unit.tz)

    def params(self) -> dict[str, str]:
        return {
            "unit": str(self.unit.public_id),
            "start": self.start_date.isoformat(),
            "end": self.end_date.isoformat(),
        }


@dataclass
class AdmissionStats:
    peak: int | None = None
    assessments: int = 0
    due_checked: int = 0
    on_time: int = 0


@dataclass
class PeriodSummary:
    admissions: int = 0
    discharges: int = 0
    transfers_in: int = 0
    transfers_out: int = 0
    los_mean_days: Decimal | None = None
    los_median_days: Decimal | None = None
    assessments: int = 0
    due_checked: int = 0
    on_time: int = 0
    escalations: int = 0
    escalations_by_kind: dict[str, int] = field(default_factory=dict)
    escalations_acknowledged: int = 0
    ack_median_minutes: int | None = None
    notifications: Any = NOT_AVAILABLE
    plan_median_hours: Any = NOT_AVAILABLE
    follow_ups: dict[str, int] = field(default_factory=dict)
    readmissions_30d: int = 0
    daily: list[tuple[dt.date, int, int]] = field(default_factory=list)
    peak_bands: dict[str, int] = field(default_factory=dict)
    rows: list[list[Any]] = field(default_factory=list)
    admission_public_ids: list[str] = field(default_factory=list)

    @property
    def follow_up_text(self) -> str:
        attended = self.follow_ups.get("attended", 0)
        seen = attended + self.follow_ups.get("missed", 0)
        if not seen:
            return "no follow-up recorded"
        return f"{round(100 * attended / seen)}% ({attended} of {seen} attended)"

    @property
    def on_time_text(self) -> str:
        if not self.due_checked:
            return "no assessment had a due time"
        share = round(100 * self.on_time / self.due_checked)
        return f"{share}% ({self.on_time} of {self.due_checked})"


def _days(delta: dt.timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / Decimal(86400)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def report_admissions(period: Period) -> QuerySet[Admission]:
    unit = period.unit
    first_move = AdmissionMovement.objects.filter(admission=OuterRef("pk")).order_by(
        "moved_at", "id"
    )
    touched = AdmissionMovement.objects.filter(admission=OuterRef("pk"), to_unit=unit)
    return (
        Admission.objects.filter(admitted_at__lt=period.end)
        .filter(Q(discharged_at__isnull=True) | Q(discharged_at__gte=period.start))
        .filter(Q(unit=unit) | Exists(touched))
        .annotate(
            first_unit_id=Coalesce(
                Subquery(first_move.values("to_unit_id")[:1]),
                F("unit_id"),
                output_field=BigIntegerField(),
            )
        )
        .select_related("patient", "bed")
        .order_by("admitted_at", "pk")
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


# Per stay, in one statement: valid assessments in the period, their peak total, and how many
# came by the due time set by the valid assessment before them (LAG over the stay's valid
# rows, the same rule as _walk, which the assessment rows export still uses). Replaces a walk
# over every assessment of every stay in Python (issue 12: 500 stays took 44 s). Static SQL
# with the ids as one JSON/array parameter; window functions need SQLite >= 3.25.
_STAY_STATS_SQL = """
SELECT admission_id,
       SUM(CASE WHEN assessed_at >= %(start)s THEN 1 ELSE 0 END),
       MAX(CASE WHEN assessed_at >= %(start)s THEN total END),
       SUM(CASE WHEN assessed_at >= %(start)s AND due IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN assessed_at >= %(start)s AND due IS NOT NULL AND assessed_at <= due
           THEN 1 ELSE 0 END)
FROM (
    SELECT admission_id, assessed_at, total,
           LAG(next_due_at) OVER (PARTITION BY admission_id ORDER BY assessed_at, id) AS due
    FROM assessments_assessment
    WHERE status = %(valid)s AND assessed_at < %(end)s AND admission_id IN {ids}
) AS stay
GROUP BY admission_id
"""
_IDS = {
    "postgresql": "(SELECT unnest(%(ids)s::bigint[]))",
    "sqlite": "(SELECT value FROM json_each(%(ids)s))",
}


def _stay_stats(period: Period, ids: list[int]) -> dict[int, AdmissionStats]:
    stats: dict[int, AdmissionStats] = {pk: AdmissionStats() for pk in ids}
    if not ids:
        return stats
    vendor = connection.vendor
    sql = _STAY_STATS_SQL.replace("{ids}", _IDS[vendor])
    params = {
        "start": period.start,
        "end": period.end,
        "valid": AssessmentStatus.VALID.value,
        "ids": ids if vendor == "postgresql" else json.dumps(ids),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for admission_id, count, peak, checked, on_time in cursor.fetchall():
            stats[admission_id] = AdmissionStats(
                peak=peak, assessments=count, due_checked=checked, on_time=on_time
            )
    return stats


def period_summary(period: Period, *, now: dt.datetime) -> PeriodSummary:
    unit, tz = period.unit, period.unit.tz
    start, end = period.start, period.end
    admissions = list(report_admissions(period))
    ids = [a.pk for a in admissions]
    summary = PeriodSummary(admission_public_ids=[str(a.public_id) for a in admissions])

    stats = _stay_stats(period, ids)

    escalations: dict[int, list[tuple[str, str, Any, Any]]] = {}
    for esc in Escalation.objects.filter(
        admission_id__in=ids, created_at__gte=start, created_at__lt=end
    ).values_list("admission_id", "kind", "status", "created_at", "acknowledged_at"):
        escalations.setdefault(esc[0], []).append(esc[1:])
    signed = _signed_plan_times(ids)
    plan_statuses = plan_status_by_admission(ids)

    days = (period.end_date - period.start_date).days + 1
    daily = {period.start_date + dt.timedelta(days=n): [0, 0] for n in range(days)}
    stays: list[Decimal] = []
    for a in admissions:
        if a.first_unit_id == unit.pk and start <= a.admitted_at < end:
            summary.admissions += 1
            daily[a.admitted_at.astimezone(tz).date()][0] += 1
        if a.discharged_at and a.unit_id == unit.pk and start <= a.discharged_at < end:
            summary.discharges += 1
            daily[a.discharged_at.astimezone(tz).date()][1] += 1
            stays.append(_days(a.discharged_at - a.admitted_at))
        summary.rows.append(
            _admission_row(
                a,
                stats[a.pk],
                escalations.get(a.pk, []),
                signed,
                PLAN_LABELS.get(plan_statuses.get(a.pk, "none"), "No plan"),
                now,
                tz,
            )
        )
        s = stats[a.pk]
        summary.assessments += s.assessments
        summary.due_checked += s.due_checked
        summary.on_time += s.on_time
        if s.peak is not None:
            label = band_label(str(band_for_total(s.peak)))
            summary.peak_bands[label] = summary.peak_bands.get(label, 0) + 1
    summary.daily = [(day, counts[0], counts[1]) for day, counts in daily.items()]
    if stays:
        summary.los_mean_days = (sum(stays) / len(stays)).quantize(Decimal("0.1"))
        summary.los_median_days = Decimal(statistics.median(stays)).quantize(Decimal("0.1"))

    moves = AdmissionMovement.objects.filter(
        moved_at__gte=start, moved_at__lt=end, from_unit__isnull=False
    )
    summary.transfers_in = moves.filter(to_unit=unit).exclude(from_unit=unit).count()
    summary.transfers_out = moves.filter(from_unit=unit).exclude(to_unit=unit).count()

    acks: list[int] = []
    for rows in escalations.values():
        for kind, _status, created, acked in rows:
            summary.escalations += 1
            label = EscalationKind(kind).label if kind in EscalationKind.values else kind
            summary.escalations_by_kind[label] = summary.escalations_by_kind.get(label, 0) + 1
            if acked is not None:
                summary.escalations_acknowledged += 1
                acks.append(formatting.minutes_between(created, acked))
    if acks:
        summary.ack_median_minutes = int(statistics.median(acks))
    if signed is not None:
        hours = [
            _hours(signed[a.pk] - a.admitted_at) for a in admissions if signed.get(a.pk) is not None
        ]
        summary.plan_median_hours = statistics.median(hours) if hours else "no signed plan"
    summary.notifications = _notification_count(ids, start, end)
    summary.follow_ups = follow_up_counts([unit.pk], start, end)
    discharged = [
        a.pk
        for a in admissions
        if a.discharged_at and a.unit_id == unit.pk and start <= a.discharged_at < end
    ]
    summary.readmissions_30d = _readmissions(discharged)
    return summary


READMISSION_WINDOW = dt.timedelta(days=30)


def _readmissions(discharged_ids: list[int]) -> int:
    """Discharges followed by another admission of the same patient within 30 days (one query)."""
    if not discharged_ids:
        return 0
    later = Admission.objects.filter(
        patient_id=OuterRef("patient_id"),
        admitted_at__gt=OuterRef("discharged_at"),
        admitted_at__lte=OuterRef("discharged_at") + READMISSION_WINDOW,
    )
    return Admission.objects.filter(pk__in=discharged_ids).filter(Exists(later)).count()


def _hours(delta: dt.timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / Decimal(3600)).quantize(Decimal("0.1"))


def _admission_row(
    a: Admission,
    s: AdmissionStats,
    escalations: list[tuple[str, str, Any, Any]],
    signed: dict[int, dt.datetime] | None,
    plan_label: str,
    now: dt.datetime,
    tz: Any,
) -> list[Any]:
    stay_end = a.discharged_at or now
    if signed is None:
        plan: Any = NOT_AVAILABLE
    elif signed.get(a.pk) is None:
        plan = "no signed plan"
    else:
        plan = str(_hours(signed[a.pk] - a.admitted_at))
    on_time = f"{s.on_time} of {s.due_checked}" if s.due_checked else ""
    return [
        a.patient.full_name,
        a.patient.mrn,
        a.bed.label,
        formatting.stamp(a.admitted_at, tz),
        formatting.stamp(a.discharged_at, tz),
        str(_days(stay_end - a.admitted_at)) + ("" if a.discharged_at else " (still admitted)"),
        "" if s.peak is None else s.peak,
        "" if s.peak is None else band_label(str(band_for_total(s.peak))),
        s.assessments,
        on_time,
        plan,
        plan_label,
        len(escalations),
        sum(1 for e in escalations if e[1] == "open"),
    ]


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


def _signed_plan_times(ids: list[int]) -> dict[int, dt.datetime] | None:
    """First signature time per stay, from the tapering feature."""
    from tapering.selectors import signed_at_by_admission

    return signed_at_by_admission(ids)


def _notification_count(ids: list[int], start: dt.datetime, end: dt.datetime) -> Any:
    from notifications.selectors import period_notification_count

    return period_notification_count(ids, start, end)
