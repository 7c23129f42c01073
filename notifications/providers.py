"""Hook for doses due and late, provided by the tapering feature (built in parallel).

If ``tapering.selectors.due_doses(now)`` exists, the sweep asks it for the doses that are
due and not yet given (or recorded as withheld). Each item may be an object or a mapping
with ``admission_id``, ``key`` (stable id of that scheduled dose) and ``due_at``, and
optionally ``label``. Until it exists the sweep simply has no doses to remind about.
``tapering.selectors.dose_is_pending(key)`` (optional) lets delivery skip a dose that was
given meanwhile.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from importlib import import_module
from typing import Any

logger = logging.getLogger("notifications.providers")


@dataclass(frozen=True)
class DueDose:
    admission_id: int
    key: str
    due_at: dt.datetime
    label: str = ""


def _selector(name: str) -> Any:
    try:
        module = import_module("tapering.selectors")
    except ImportError:
        return None
    return getattr(module, name, None)


def _field(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def due_doses(now: dt.datetime) -> list[DueDose]:
    provider = _selector("due_doses")
    if provider is None:
        return []
    doses = []
    for item in provider(now):
        admission_id = _field(item, "admission_id")
        key = _field(item, "key") or _field(item, "id")
        due_at = _field(item, "due_at")
        if admission_id is None or key is None or due_at is None:
            logger.warning("tapering.selectors.due_doses returned an incomplete item; skipped")
            continue
        doses.append(DueDose(admission_id, str(key), due_at, str(_field(item, "label", ""))))
    return doses


def dose_is_pending(key: str) -> bool:
    check = _selector("dose_is_pending")
    return True if check is None else bool(check(key))
