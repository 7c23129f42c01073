"""Shared pieces of the medication services: gate refusal, role checks, dose bound."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from clinical.medication import (
    GateResult,
)

# Upper bound on a typed dose: catches a slipped key (500 for 5.00), not a clinical limit.
MAX_DOSE_MG = Decimal("1000")


class GateRefused(ValidationError):
    """A PRN dose refused by a gate; ``result`` holds the totals to show."""

    def __init__(self, result: GateResult) -> None:
        self.result = result
        super().__init__({"gate": [text for _, text in result.problems]})


def _require_physician(user: Any, what: str) -> None:
    if not getattr(user, "is_physician", False):
        raise PermissionDenied(f"Only physicians {what}.")


def _require_clinician(user: Any) -> None:
    if not (getattr(user, "is_physician", False) or getattr(user, "is_nurse", False)):
        raise PermissionDenied("Only nurses and physicians record doses.")
