"""Demo seeder: a small formulary (the facility keeps its own in the admin site).

Names and forms only; the app never proposes a dose for these medicines (issue 15: no dosing
table in shared/domain for adjuncts).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from medication.models import FormularyItem

DEMO_FORMULARY = [
    # name, agent, form, benzodiazepine, sedating
    ("Diazepam", "diazepam", "2 mg, 5 mg, 10 mg tablets", True, True),
    ("Chlordiazepoxide", "chlordiazepoxide", "5 mg, 10 mg, 25 mg capsules", True, True),
    ("Trazodone", "trazodone", "50 mg tablets", False, True),
    ("Gabapentin", "gabapentin", "300 mg capsules", False, True),
    ("Buspirone", "buspirone", "5 mg tablets", False, False),
]


def seed_formulary(*, unit: Any, stdout: Any) -> None:
    if settings.PRODUCTION or FormularyItem.objects.exists():
        return
    for name, agent, form, benzo, sedating in DEMO_FORMULARY:
        FormularyItem.objects.create(
            name=name, agent=agent, form=form, is_benzodiazepine=benzo, sedating=sedating
        )
    stdout.write(f"Medication demo: formulary of {len(DEMO_FORMULARY)} medicines.")
