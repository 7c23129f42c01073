"""Demo seeder: the facility's support-group list (idempotent; development only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from aftercare.models import SupportGroup

DEMO_GROUPS = (
    ("SMART Recovery", "Self-management and recovery training, peer-led", "Tuesdays 19:00"),
    ("Narcotics Anonymous", "Twelve-step fellowship", "Daily; ask the clinic for venues"),
    ("Family support group", "For families and carers", "First Monday of the month"),
)


def seed_support_groups(*, unit: Any, stdout: Any) -> None:
    if settings.PRODUCTION:
        return
    made = 0
    for name, description, meetings in DEMO_GROUPS:
        _, created = SupportGroup.objects.get_or_create(
            name=name, defaults={"description": description, "meetings": meetings}
        )
        made += int(created)
    stdout.write(f"Aftercare demo: {made} support group(s) added to the facility list.")
