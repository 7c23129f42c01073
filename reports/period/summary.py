"""The period summary: counts, length of stay, timeliness, escalations, follow-ups,
readmissions, and one row per stay.

Part of ``reports.period`` (definitions in the package docstring).
"""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Exists, OuterRef

from aftercare.selectors import follow_up_counts
from assessments.models import Escalation, EscalationKind
from clinical.ciwa_b import band_for_total
from notifications import selectors as notification_selectors
from patients.models import Admission, AdmissionMovement
from reports import formatting
from reports.period.model import NOT_AVAILABLE, AdmissionStats, Period, PeriodSummary
from reports.period.stays import _stay_stats, report_admissions
from reports.selectors import PLAN_LABELS, band_label
from tapering import selectors as tapering_selectors

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


def _days(delta: dt.timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / Decimal(86400)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


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
    plan_statuses = tapering_selectors.plan_status_by_admission(ids)

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


def _signed_plan_times(ids: list[int]) -> dict[int, dt.datetime] | None:
    """First signature time per stay, from the tapering feature."""
    return tapering_selectors.signed_at_by_admission(ids)


def _notification_count(ids: list[int], start: dt.datetime, end: dt.datetime) -> Any:
    return notification_selectors.period_notification_count(ids, start, end)
