"""Demo content: a short CIWA-B history for open admissions of the demo unit that have none.

Idempotent: admissions that already have an assessment are skipped, and each entry carries a
fixed idempotency key derived from the admission, so a rerun adds nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from assessments.inputs import AssessmentInput
from assessments.models import Assessment
from assessments.services import assessment_create
from cnt_detox.core.roles import Role
from patients.models import Admission

_DEMO_NAMESPACE = uuid.UUID("7f0c3a52-8e0b-4c53-9d84-2f3c1a9e6b10")
# (hours before now, 20 item scores, heart rate)
_HISTORY = (
    (7.5, [2, 2, 2, 1, 1, 0, 2, 1, 1, 2, 1, 2, 1, 2, 0, 1, 1, 1, 1, 1], 96),
    (5.5, [2, 1, 2, 1, 1, 0, 1, 1, 1, 2, 1, 2, 1, 2, 0, 1, 1, 1, 1, 0], 92),
    (1.5, [1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0], 84),
)


def seed(*, unit: Any, stdout: Any) -> None:
    author = unit.members.filter(role=Role.NURSE).first()
    if author is None:
        stdout.write("assessments: no nurse in the demo unit; skipped")
        return
    now = timezone.now()
    admissions = Admission.objects.filter(unit=unit, discharged_at__isnull=True).select_related(
        "unit", "patient"
    )
    added = 0
    for admission in admissions:
        if Assessment.objects.filter(admission=admission).exists():
            continue
        for index, (hours, items, heart_rate) in enumerate(_HISTORY):
            assessed_at = max(now - dt.timedelta(hours=hours), admission.admitted_at)
            assessment_create(
                admission=admission,
                actor=author,
                entry=AssessmentInput(
                    assessed_at=assessed_at,
                    items=items,
                    vitals={"heart_rate": heart_rate, "systolic_bp": 132, "diastolic_bp": 84},
                    sedation_level=0,
                ),
                idempotency_key=uuid.uuid5(_DEMO_NAMESPACE, f"{admission.public_id}:{index}"),
            )
            added += 1
    stdout.write(f"assessments: {added} demo CIWA-B entries")
