"""Which stays a period report covers, and their per-stay assessment figures in one query.

Part of ``reports.period`` (definitions in the package docstring: stays in the report, on
time).
"""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from assessments.models import AssessmentStatus
from patients.models import Admission, AdmissionMovement
from reports.period.model import AdmissionStats, Period


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
