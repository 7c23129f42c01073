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
    # One card per run of identical days (the summary's dated steps): a patient reads "every
    # day from ... to ..." more safely than months of repeated rows.
    calendar = []
    for step in taper.get("steps", []):
        by_part: dict[str, list[str]] = {p: [] for p in PARTS}
        for dose in step["doses"]:
            time = dt.time.fromisoformat(dose["time"])
            clock = f"{time:%-I:%M} {'am' if time.hour < 12 else 'pm'}"
            words = tablets_in_words(dose["units"], form)
            single = len(dose["units"]) == 1 and Decimal(dose["units"][0]["count"]) == 1
            amount = "" if single else f" ({dose['mg']} mg in all)"
            by_part[dose["part_of_day"]].append(f"{words}{amount} at {clock}")
        calendar.append(
            {
                "date": dt.date.fromisoformat(step["from"]),
                "to": dt.date.fromisoformat(step["to"]),
                "days": step["days"],
                "parts": [(PART_WORDS[p], by_part[p]) for p in PARTS],
                "total_mg": step["daily_total_mg"],
            }
        )
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
        "last_day": calendar[-1]["to"] if calendar else None,
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
