"""Resource ids: always the record's random public id, never a sequential key.

A resource derived from a record (the total Observation of an assessment, a history
Condition of an admission) gets the record's public id plus a short suffix, so it can be read
back by id without any lookup table. FHIR ids allow [A-Za-z0-9-.]{1,64}.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

# Observations derived from one assessment: total score and each vital sign (fhir.md).
ASSESSMENT_OBSERVATIONS = ("total", "vitals", "hr", "rr", "temp", "spo2", "bp")
# Admission history recorded at intake (fhir.md "Intake history").
HISTORY_CONDITIONS = {
    "seizures": "withdrawal_seizures",
    "epilepsy": "epilepsy",
    "psychosis": "withdrawal_psychosis",
    "alcohol": "alcohol_dependence",
    "liver": "hepatic_impairment",
}
HISTORY_OBSERVATIONS = {"injecting": "injecting", "cns-depressants": "other_cns_depressants"}

_DERIVED = re.compile(
    r"^(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"(?:-(?P<suffix>[a-z][a-z0-9.-]*))?$"
)


@dataclass(frozen=True)
class ParsedId:
    public_id: uuid.UUID
    suffix: str  # "" for a record's own resource


def parse(resource_id: str) -> ParsedId | None:
    match = _DERIVED.match(resource_id.lower()) if len(resource_id) <= 64 else None
    if match is None:
        return None
    return ParsedId(uuid.UUID(match["uuid"]), match["suffix"] or "")


def derived(public_id: uuid.UUID, suffix: str) -> str:
    return f"{public_id}-{suffix}"


def flag_suffix(index: int) -> str:
    return f"flag-{index}"


def flag_index(suffix: str) -> int | None:
    if not suffix.startswith("flag-") or not suffix[5:].isdigit():
        return None
    return int(suffix[5:])
