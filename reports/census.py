"""The unit census: who was on which bed at a moment, rebuilt from admission history.

Rows stream for the CSV/XLSX export (reports.tables); the caller passes only the user's units.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import BigIntegerField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from patients.models import Admission, AdmissionMovement, Bed, Sex, Unit
from reports import formatting
from reports.selectors import agent_label

CENSUS_HEADER = [
    "Unit",
    "Bed",
    "Patient",
    "MRN",
    "Age",
    "Sex",
    "Admitted",
    "Day of stay",
    "Primary agent",
    "Diazepam equivalent at admission (mg/day)",
    "Daily dose band",
    "Withdrawal risk",
    "Discharged",
]


def census_queryset(unit_ids: Sequence[int], at: dt.datetime) -> QuerySet[Admission]:
    """Admissions on ``unit_ids`` at ``at``, rebuilt from history.

    A stay counts from ``admitted_at`` until ``discharged_at`` (exclusive). Where it was at
    ``at`` is the latest ``AdmissionMovement`` at or before ``at`` (the initial placement or
    a transfer); an admission without movements falls back to its current unit and bed.
    """
    moves = AdmissionMovement.objects.filter(admission=OuterRef("pk"), moved_at__lte=at).order_by(
        "-moved_at", "-id"
    )
    return (
        Admission.objects.filter(admitted_at__lte=at)
        .filter(Q(discharged_at__isnull=True) | Q(discharged_at__gt=at))
        .annotate(
            at_unit_id=Coalesce(
                Subquery(moves.values("to_unit_id")[:1]),
                F("unit_id"),
                output_field=BigIntegerField(),
            ),
            at_bed_id=Coalesce(
                Subquery(moves.values("to_bed_id")[:1]), F("bed_id"), output_field=BigIntegerField()
            ),
        )
        .filter(at_unit_id__in=list(unit_ids))
        .select_related("patient")
        .order_by("at_unit_id", "at_bed_id", "pk")
    )


def census_rows(units: Sequence[Unit], at: dt.datetime) -> Iterator[list[Any]]:
    """Census rows with readable labels and each unit's local times (streams)."""
    by_id = {u.pk: u for u in units}
    beds = {b.pk: b.label for b in Bed.objects.filter(unit__in=list(by_id))}
    sexes = dict(Sex.choices)
    for a in census_queryset(list(by_id), at).iterator(chunk_size=500):
        unit = by_id[a.at_unit_id]
        tz = unit.tz
        yield [
            unit.name,
            beds.get(a.at_bed_id, ""),
            a.patient.full_name,
            a.patient.mrn,
            a.patient.age_on(at.astimezone(tz).date()),
            sexes.get(a.patient.sex, a.patient.sex),
            formatting.stamp(a.admitted_at, tz),
            (at.astimezone(tz).date() - a.admitted_at.astimezone(tz).date()).days + 1,
            agent_label(a.primary_agent),
            _census_dose(a),
            a.dose_band.capitalize(),
            a.withdrawal_risk.replace("_", " ").capitalize(),
            formatting.stamp(a.discharged_at, tz),
        ]


def _census_dose(a: Admission) -> str:
    """The intake dose as exported: "unknown" or "at least N" when an agent was not converted
    (equivalence.md: never guessed), so a spreadsheet never shows an unknown dose as 0."""
    if a.diazepam_equivalent_mg is None:
        return "unknown" if a.dose_unconverted or a.dose_band else ""
    if a.dose_unconverted:
        return f"at least {a.diazepam_equivalent_mg}"
    return str(a.diazepam_equivalent_mg)
