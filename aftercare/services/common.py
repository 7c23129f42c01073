"""Shared pieces of the aftercare services: role checks and text cleaning."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied


def _require_clinician(user: Any) -> None:
    if not getattr(user, "is_clinician", False):
        raise PermissionDenied("Only nurses and physicians do this.")


def _require_physician(user: Any, what: str) -> None:
    if not getattr(user, "is_physician", False):
        raise PermissionDenied(f"Only physicians {what}.")


def _text(value: Any) -> str:
    return str(value or "").strip()
