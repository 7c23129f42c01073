"""What a nurse entered, checked once for both the bedside form and the API.

``validate`` turns an ``AssessmentInput`` into a ``Checked`` entry or raises a Django
``ValidationError`` keyed by field name, with messages that say what to do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError

from assessments.limits import FUTURE_TOLERANCE, VITAL_LIMITS, late_entry_after
from clinical import ciwa_b
from clinical.ciwa_b import ITEMS, UNABLE_REASON_LABELS, Score, ScoringError, UnableReason
from cnt_detox.core.offline import recorded_offline_errors
from patients.models import Admission

OBSERVATIONS: tuple[str, ...] = ("seizure", "hallucinations", "confusion", "suicidal_thoughts")


@dataclass(frozen=True)
class AssessmentInput:
    """Raw entry. ``assessed_at`` None means "now"; ``items`` None means unable to assess.

    ``recorded_offline_at`` is when Save was pressed on a device that queued the entry while
    offline (cnt_detox.core.offline); with no ``assessed_at`` it is the time of assessment.
    """

    assessed_at: datetime | None = None
    items: Sequence[int | None] | None = None
    unable_reason: str | None = None
    vitals: dict[str, int | Decimal | None] = field(default_factory=dict)
    sedation_level: int | None = None
    seizure: bool = False
    hallucinations: bool = False
    confusion: bool = False
    suicidal_thoughts: bool = False
    notes: str = ""
    recorded_offline_at: datetime | None = None

    def fingerprint(self, admission: Admission) -> str:
        """Hash of the request as sent, to tell a retry from a different entry under one key.

        The raw ``assessed_at`` is hashed (None stays None), so a retry of "now" matches.
        ``recorded_offline_at`` is left out: it says how the entry travelled, not what it is,
        and a queued resend of a request whose answer was lost must match the original.
        """
        data = asdict(self)
        del data["recorded_offline_at"]
        data["admission"] = str(admission.public_id)
        data["assessed_at"] = self.assessed_at.isoformat() if self.assessed_at else None
        data["items"] = list(self.items) if self.items is not None else None
        data["vitals"] = {k: str(v) for k, v in sorted(self.vitals.items()) if v is not None}
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class Checked:
    assessed_at: datetime
    score: Score | None
    unable_reason: str
    is_late_entry: bool


def _check_items(entry: AssessmentInput, errors: dict[str, list[str]]) -> Score | None:
    if entry.items is None:
        return None
    missing = [n for n, v in enumerate(entry.items, start=1) if v is None]
    if missing:
        names = ", ".join(f"{n} ({ITEMS[n - 1].label})" for n in missing if n <= len(ITEMS))
        errors["items"] = [f"Item {names} not scored. Every item must be scored, 0 to 4."]
        return None
    try:
        return ciwa_b.score(list(entry.items))  # type: ignore[arg-type]
    except ScoringError as exc:
        errors["items"] = [str(exc)]
        return None


def _check_vitals(entry: AssessmentInput, errors: dict[str, list[str]]) -> None:
    for name, value in entry.vitals.items():
        limit = VITAL_LIMITS.get(name)
        if limit is None:
            errors[name] = [f"Unknown vital sign {name!r}."]
        elif value is not None and not (limit.low <= value <= limit.high):
            errors[name] = [
                f"{limit.label} {value} {limit.unit} is outside {limit.low}-{limit.high} "
                f"{limit.unit}. Check the reading and the units, then enter it again."
            ]
    systolic, diastolic = entry.vitals.get("systolic_bp"), entry.vitals.get("diastolic_bp")
    if (systolic is None) != (diastolic is None):
        errors.setdefault("diastolic_bp", []).append(
            "Enter both systolic and diastolic blood pressure, or neither."
        )
    elif systolic is not None and diastolic is not None and diastolic >= systolic:
        errors.setdefault("diastolic_bp", []).append(
            "Diastolic pressure must be lower than systolic; check the order."
        )


def validate(admission: Admission, entry: AssessmentInput, *, now: datetime) -> Checked:
    """Check one entry against the admission; raise ValidationError listing every problem."""
    errors: dict[str, list[str]] = {}
    if not admission.is_open:
        errors["admission"] = [
            "This patient has been discharged; assessments can no longer be added. "
            "Check you chose the right patient."
        ]
    if entry.items is not None and entry.unable_reason:
        errors["unable_to_assess"] = [
            "Give either the item scores or 'unable to assess', not both."
        ]
    elif entry.items is None and not entry.unable_reason:
        errors["items"] = ["Score all 20 items, or record 'unable to assess' with a reason."]
    result = _check_items(entry, errors)
    if entry.unable_reason and entry.unable_reason not in set(UnableReason):
        choices = ", ".join(str(r) for r in UNABLE_REASON_LABELS)
        errors["unable_to_assess"] = [f"Choose a reason: one of {choices}."]
    offline_errors = recorded_offline_errors(entry.recorded_offline_at, now=now)
    if offline_errors:
        errors["recorded_offline_at"] = offline_errors
    # The bedside time: typed by the nurse, else when Save was pressed on a device that had
    # no connection, else now.
    assessed_at = entry.assessed_at or (None if offline_errors else entry.recorded_offline_at)
    assessed_at = assessed_at or now
    if assessed_at.tzinfo is None:
        errors["assessed_at"] = ["Give the time with its time zone."]
    elif assessed_at > now + FUTURE_TOLERANCE:
        errors["assessed_at"] = [
            "The assessment time is in the future. Check the time (and the device clock)."
        ]
    elif assessed_at < admission.admitted_at:
        errors["assessed_at"] = [
            "The assessment time is before the patient was admitted. Check the date and time."
        ]
    _check_vitals(entry, errors)
    if entry.sedation_level is not None and entry.sedation_level not in ciwa_b.SEDATION_LEVELS:
        errors["sedation_level"] = ["Sedation level must be 0, 1, 2 or 3."]
    if errors:
        raise ValidationError(errors)
    return Checked(
        assessed_at=assessed_at,
        score=result,
        unable_reason=entry.unable_reason or "",
        is_late_entry=now - assessed_at > late_entry_after(),
    )
