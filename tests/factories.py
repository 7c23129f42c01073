"""Test data builders shared by every feature's tests.

They write rows directly (not through services) so each feature can be tested on its own;
tests of the services themselves go through the services.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from assessments.models import Assessment, ReassessmentSchedule
from clinical.ciwa_b import score
from clinical.equivalence import convert_regimen, dose_band, withdrawal_risk
from patients.models import Admission, AdmissionMovement, Bed, Patient, SubstanceUse, Unit

_mrn = itertools.count(1000)


def make_patient(**kwargs: Any) -> Patient:
    n = next(_mrn)
    defaults = {
        "mrn": f"MRN{n}",
        "first_name": "Pat",
        "last_name": f"Patient{n}",
        "date_of_birth": dt.date(1980, 5, 17),
        "sex": "female",
    }
    return Patient.objects.create(**{**defaults, **kwargs})


def make_admission(
    unit: Unit,
    bed: Bed | None = None,
    *,
    by: Any = None,
    patient: Patient | None = None,
    substances: tuple[tuple[str, str], ...] = (("alprazolam", "4"), ("lorazepam", "2")),
    admitted_at: dt.datetime | None = None,
    last_dose_hours_ago: float = 6,
    **history: Any,
) -> Admission:
    """An open admission with substance rows and stored conversions (ashton-2002)."""
    if bed is None:
        occupied = Admission.objects.filter(discharged_at__isnull=True).values("bed_id")
        bed = unit.beds.exclude(pk__in=occupied).order_by("label").first()
    admitted_at = admitted_at or timezone.now() - dt.timedelta(hours=2)
    regimen = convert_regimen([(a, Decimal(d)) for a, d in substances])
    admission = Admission.objects.create(
        patient=patient or make_patient(),
        unit=unit,
        bed=bed,
        admitted_at=admitted_at,
        primary_agent=substances[0][0] if substances else "",
        diazepam_equivalent_mg=regimen.total_diazepam_mg,
        diazepam_range_low_mg=regimen.cross_table_range_mg[0],
        diazepam_range_high_mg=regimen.cross_table_range_mg[1],
        equivalence_table=regimen.table_id,
        equivalence_table_version=regimen.table_version,
        dose_band=str(dose_band(regimen.total_diazepam_mg)),
        # As the intake service stores it: 7 days a week for 12 months (the rows below).
        withdrawal_risk=str(
            withdrawal_risk(7, Decimal("12"), dose_band(regimen.total_diazepam_mg))
        ),
        created_by=by,
        **history,
    )
    for position, conversion in enumerate(regimen.conversions):
        SubstanceUse.objects.create(
            admission=admission,
            agent=conversion.agent,
            daily_dose_mg=conversion.daily_dose_mg,
            days_per_week=7,
            duration_months=Decimal("12"),
            last_dose_at=admitted_at - dt.timedelta(hours=last_dose_hours_ago),
            diazepam_mg=conversion.diazepam_mg,
            diazepam_range_low_mg=conversion.range_mg[0],
            diazepam_range_high_mg=conversion.range_mg[1],
            position=position,
        )
    AdmissionMovement.objects.create(
        admission=admission, to_unit=unit, to_bed=bed, moved_at=admitted_at, moved_by=by
    )
    return admission


def items_for_total(total: int) -> list[int]:
    """20 item scores (0-4) that add up to ``total``."""
    items = [0] * 20
    for i in range(20):
        items[i] = min(4, total - sum(items))
    return items


def make_assessment(
    admission: Admission,
    *,
    by: Any,
    total: int | None = 10,
    assessed_at: dt.datetime | None = None,
    next_due_minutes: int = 240,
    **fields: Any,
) -> Assessment:
    """A scored assessment (or unable-to-assess when total is None) and the schedule it sets."""
    assessed_at = assessed_at or timezone.now()
    if total is None:
        scored: dict[str, Any] = {"unable_reason": fields.pop("unable_reason", "refused")}
    else:
        result = score(items_for_total(total))
        scored = {"items": list(result.items), "total": result.total, "band": str(result.band)}
    next_due = assessed_at + dt.timedelta(minutes=next_due_minutes)
    assessment = Assessment.objects.create(
        admission=admission,
        assessed_at=assessed_at,
        entered_by=by,
        next_due_at=next_due,
        **scored,
        **fields,
    )
    ReassessmentSchedule.objects.update_or_create(
        admission=admission,
        defaults={
            "next_due_at": next_due,
            "interval_minutes": next_due_minutes,
            "based_on": assessment,
            "active": True,
        },
    )
    return assessment
