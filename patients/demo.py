"""Demo patients for the demo unit (development only; idempotent by MRN)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cnt_detox.core.models import User
from cnt_detox.core.roles import Role
from patients.models import Patient, Unit
from patients.selectors import free_beds_for_user
from patients.services import admission_create

# (mrn, first, last, born, sex, hours since admission, substances, history)
DEMO_PATIENTS: list[tuple[Any, ...]] = [
    (
        "DEMO-0001", "Morgan", "Hale", dt.date(1976, 2, 11), "female", 30,
        [("alprazolam", "4", 7, "36", 30), ("lorazepam", "2", 7, "12", 20)],
        {"alcohol_dependence": True},
    ),
    (
        "DEMO-0002", "Priya", "Shah", dt.date(1957, 9, 3), "female", 52,
        [("temazepam", "40", 7, "120", 10)],
        {"hepatic_impairment": True},
    ),
    (
        "DEMO-0003", "Daniel", "Okafor", dt.date(1988, 6, 21), "male", 8,
        [("clonazepam", "3", 7, "18", 6), ("other", "2", 4, "3", 6)],
        {"withdrawal_seizures": True, "other_cns_depressants": True,
         "other_cns_depressants_detail": "pregabalin 300 mg/day"},
    ),
    (
        "DEMO-0004", "Eilidh", "Fraser", dt.date(1969, 12, 1), "female", 4,
        [("diazepam", "12", 5, "2", 5)],
        {},
    ),
]  # fmt: skip


def seed_demo_patients(*, unit: Unit, stdout: Any) -> None:
    """Admit the demo patients through the intake service (so intakes are computed)."""
    nurse = User.objects.filter(role=Role.NURSE, units=unit).order_by("id").first()
    if nurse is None:
        stdout.write("No nurse in the demo unit; demo patients skipped.")
        return
    now = timezone.now()
    made = 0
    for mrn, first, last, born, sex, hours, rows, history in DEMO_PATIENTS:
        if Patient.objects.filter(mrn=mrn).exists():
            continue
        bed = free_beds_for_user(nurse).filter(unit=unit).first()
        if bed is None:
            stdout.write("No free bed left in the demo unit; remaining demo patients skipped.")
            return
        admitted = now - dt.timedelta(hours=hours)
        admission_create(
            actor=nurse,
            patient={
                "mrn": mrn,
                "first_name": first,
                "last_name": last,
                "date_of_birth": born,
                "sex": sex,
            },
            unit_id=unit.public_id,
            bed_id=bed.public_id,
            admitted_at=admitted,
            substances=[
                {
                    "agent": agent,
                    "other_agent_text": "etizolam (street)" if agent == "other" else "",
                    "daily_dose_mg": Decimal(dose),
                    "days_per_week": days,
                    "duration_months": Decimal(months),
                    "last_dose_at": admitted - dt.timedelta(hours=last_dose_hours),
                    "prescribed": agent != "other",
                }
                for agent, dose, days, months, last_dose_hours in rows
            ],
            history=history,
            referral_notes="Demo patient (not a real person).",
        )
        made += 1
    stdout.write(f"Demo patients: {made} admitted.")
