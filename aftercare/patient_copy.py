"""The patient's copy of the signed summary in plain words (reading age about 11).

No abbreviations (no QID, PRN, mg/day shorthand in sentences): each day of the continuing
taper is a row with the tablets to take in the morning, at midday, in the afternoon and in
the evening. The warning signs are the critical findings of risk.md (seizure, confusion,
hallucinations, suicidal thoughts) and oversedation (hard to wake), in everyday words.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings

PARTS = ("morning", "midday", "afternoon", "evening")
PART_WORDS = {
    "morning": "Morning",
    "midday": "Midday",
    "afternoon": "Afternoon",
    "evening": "Evening",
}

# risk.md: critical findings (seizure, new hallucinations, confusion, suicidal thoughts) and
# oversedation (sedation level 3, difficult to rouse), said the way a patient would notice them.
WARNING_SIGNS = (
    "A fit or seizure (shaking you cannot stop, or passing out).",
    "Feeling very confused, or not knowing where you are.",
    "Seeing, hearing or feeling things that are not there.",
    "Thoughts of hurting yourself or ending your life.",
    "Being so sleepy that you are hard to wake up.",
)


def _number(count: Decimal) -> str:
    whole = int(count)
    half = count != whole
    if whole == 0 and half:
        return "half"
    words = str(whole)
    return f"{words} and a half" if half else words


def tablets_in_words(units: list[dict[str, str]], form: str) -> str:
    """Plain words for a dose's tablets: "1 tablet of 5 mg and half a 2 mg tablet"."""
    parts = []
    for unit in units:
        count = Decimal(unit["count"])
        strength = unit["strength_mg"]
        if count == Decimal("0.5"):
            parts.append(f"half a {strength} mg {form}")
        elif count == 1:
            parts.append(f"1 {form} of {strength} mg")
        else:
            parts.append(f"{_number(count)} {form}s of {strength} mg")
    return " and ".join(parts) if parts else "nothing"


def _when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def build(content: dict[str, Any]) -> dict[str, Any]:
    """What the patient page and print show, from a signed summary's stored content."""
    taper = content.get("continuing_taper") or {}
    form = taper.get("form", "tablet")
    agent = (taper.get("agent") or "").capitalize()
    calendar = []
    for day in taper.get("days", []):
        by_part: dict[str, list[str]] = {p: [] for p in PARTS}
        for dose in day["doses"]:
            time = dt.time.fromisoformat(dose["time"])
            clock = f"{time:%-I:%M} {'am' if time.hour < 12 else 'pm'}"
            words = tablets_in_words(dose["units"], form)
            by_part[dose["part_of_day"]].append(f"{words} ({dose['mg']} mg) at {clock}")
        calendar.append(
            {
                "date": dt.date.fromisoformat(day["date"]),
                "parts": [(PART_WORDS[p], by_part[p]) for p in PARTS],
                "total_mg": day["total_mg"],
            }
        )
    used_parts = [
        PART_WORDS[p] for p in PARTS if any(dict(d["parts"])[PART_WORDS[p]] for d in calendar)
    ]
    aftercare = content.get("aftercare") or {}
    follow_ups = [
        {**f, "when": _when(f["scheduled_at"])}
        for f in content.get("follow_ups", [])
        if f.get("status") in ("scheduled", None)
    ]
    return {
        "name": content["patient"]["name"],
        "agent": agent,
        "form": form,
        "calendar": calendar,
        "used_parts": used_parts or [PART_WORDS["morning"], PART_WORDS["evening"]],
        "last_day": calendar[-1]["date"] if calendar else None,
        "warning_signs": WARNING_SIGNS,
        "facility_name": settings.FACILITY_NAME,
        "facility_phone": settings.FACILITY_PHONE,
        "emergency_phone": settings.EMERGENCY_PHONE,
        "follow_ups": follow_ups,
        "support_groups": aftercare.get("support_groups", []),
        "other_support": aftercare.get("other_support", ""),
        "people_to_call": aftercare.get("people_to_call", ""),
        "coping_strategies": aftercare.get("coping_strategies", ""),
        "triggers": aftercare.get("triggers", ""),
        "time_zone": content["stay"]["time_zone"],
    }
