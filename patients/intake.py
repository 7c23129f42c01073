"""Adapter from stored intake records to the pure risk-rule inputs.

The risk rules (assessments/domain/risk.py) take plain facts; this builds them from an
admission and its substance rows, using the conversions stored at intake so flags match
what the intake showed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from assessments.domain.risk import IntakeFacts, SubstanceFacts
from patients.models import Admission
from tapering.domain.equivalence import dose_band, is_short_acting


def intake_facts(admission: Admission, *, on: dt.date | None = None) -> IntakeFacts:
    """Facts for the risk rules. ``on`` is the day age is computed for (default: admission day)."""
    substances = list(admission.substances.all())
    total = admission.diazepam_equivalent_mg
    if total is None:
        total = sum((s.diazepam_mg or Decimal("0") for s in substances), Decimal("0"))
    day = on or admission.admitted_at.astimezone(admission.unit.tz).date()
    return IntakeFacts(
        total_diazepam_mg=total,
        dose_band=admission.dose_band or str(dose_band(total)),
        substances=tuple(
            SubstanceFacts(
                agent=s.agent,
                diazepam_mg=s.diazepam_mg or Decimal("0"),
                last_dose_at=s.last_dose_at,
                short_acting=s.agent != s.OTHER and is_short_acting(s.agent),
            )
            for s in substances
        ),
        age_years=admission.patient.age_on(day),
        withdrawal_seizures=admission.withdrawal_seizures,
        epilepsy=admission.epilepsy,
        withdrawal_psychosis=admission.withdrawal_psychosis,
        alcohol_dependence=admission.alcohol_dependence,
        other_cns_depressants=admission.other_cns_depressants,
        hepatic_impairment=admission.hepatic_impairment,
        injecting=admission.injecting,
    )
