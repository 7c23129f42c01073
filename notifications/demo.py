"""Demo seeder: the demo physician is on call and the demo nurse is charge nurse."""

from __future__ import annotations

from typing import Any

from cnt_detox.core.models import User
from notifications.models import UnitOnCall


def seed_on_call(*, unit: Any, stdout: Any) -> None:
    members = User.objects.filter(units=unit)
    roster, _ = UnitOnCall.objects.get_or_create(unit=unit)
    roster.on_call_physician = members.filter(username="physician").first()
    roster.charge_nurse = members.filter(username="nurse").first()
    roster.save()
    stdout.write(
        f"On call for {unit}: physician {roster.on_call_physician}, "
        f"charge nurse {roster.charge_nurse}."
    )
