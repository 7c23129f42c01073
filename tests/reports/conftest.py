"""Seeded stays for the reports tests: a transfer, a discharge, an overdue critical patient."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from assessments.models import AssessmentFlag, Escalation
from patients.models import Admission, AdmissionMovement
from tests.factories import make_admission, make_assessment


@dataclass
class Seeded:
    now: dt.datetime
    transferred: Admission  # Ward 2 C1 -> Ward 1 B2 one day ago
    discharged: Admission  # Ward 1 B1, 5 days to 2 days ago
    critical: Admission  # Ward 1 B3, overdue, critical flag, open escalation


@pytest.fixture
def seeded(unit, other_unit, nurse) -> Seeded:
    now = timezone.now()
    b1, b2, b3 = (unit.beds.get(label=x) for x in ("B1", "B2", "B3"))
    c1 = other_unit.beds.get(label="C1")

    transferred = make_admission(other_unit, c1, by=nurse, admitted_at=now - dt.timedelta(days=3))
    moved_at = now - dt.timedelta(days=1)
    AdmissionMovement.objects.create(
        admission=transferred,
        from_unit=other_unit,
        from_bed=c1,
        to_unit=unit,
        to_bed=b2,
        moved_at=moved_at,
    )
    Admission.objects.filter(pk=transferred.pk).update(unit=unit, bed=b2)
    transferred.refresh_from_db()
    first = make_assessment(
        transferred, by=nurse, total=45, assessed_at=now - dt.timedelta(hours=20)
    )
    make_assessment(transferred, by=nurse, total=12, assessed_at=now - dt.timedelta(hours=2))
    Escalation.objects.create(
        admission=transferred,
        assessment=first,
        kind="severe_band",
        reason="Severe withdrawal",
        created_at=now - dt.timedelta(hours=20),
        status="acknowledged",
        acknowledged_by=nurse,
        acknowledged_at=now - dt.timedelta(hours=19),
    )

    discharged = make_admission(
        unit, b1, by=nurse, admitted_at=now - dt.timedelta(days=5), substances=(("diazepam", "20"),)
    )
    make_assessment(discharged, by=nurse, total=30, assessed_at=now - dt.timedelta(days=4.9))
    make_assessment(discharged, by=nurse, total=8, assessed_at=now - dt.timedelta(days=4.8))
    discharged.discharged_at = now - dt.timedelta(days=2)
    discharged.status = "discharged"
    discharged.save()

    critical = make_admission(unit, b3, by=nurse, admitted_at=now - dt.timedelta(hours=10))
    assessment = make_assessment(
        critical,
        by=nurse,
        total=25,
        assessed_at=now - dt.timedelta(hours=6),
        next_due_minutes=120,
        confusion=True,
        highest_flag_level="critical",
    )
    AssessmentFlag.objects.create(
        admission=critical,
        assessment=assessment,
        code="confusion",
        level="critical",
        reason="Confusion or disorientation",
        source="2025 Joint Guideline",
    )
    AssessmentFlag.objects.create(
        admission=critical,
        code="high_dose",
        level="elevated",
        reason="Daily dose above 15 mg diazepam equivalent",
        source="2025 Joint Guideline",
    )
    Escalation.objects.create(
        admission=critical,
        assessment=assessment,
        kind="critical_flag",
        reason="Confusion",
        created_at=now - dt.timedelta(hours=6),
    )
    return Seeded(now=now, transferred=transferred, discharged=discharged, critical=critical)
