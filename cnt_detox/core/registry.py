"""Hooks that upper feature apps fill from ``AppConfig.ready()`` so lower apps never import them.

The layers (architecture.md) forbid ``patients`` importing a feature above it; a feature that
must show something on a lower app's page, or take part in a lower app's write, registers a
callable here instead. Kept deliberately small: a list per hook, filled once at start-up.

- ``patient_panels``: ``(request, admission) -> str | None``: HTML of a card for the patient
  page (already escaped/rendered by its provider's template), or None to show nothing.
- ``discharge_guards``: ``(admission, actor, override) -> None``: called inside the discharge
  transaction; raises ``ValidationError`` to refuse. ``override`` is what the caller passed to
  ``admission_discharge`` (a dict, or None from the plain discharge form and API).
- ``reminder_sources``: objects the notifications sweep asks for more reminders (follow-up
  appointments): ``kinds`` (notification kinds they own), ``due(now) -> list[Reminder]`` and
  ``still_open(subject_keys) -> set[str]`` (the keys still worth a reminder).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.safestring import SafeString, mark_safe

PanelProvider = Callable[[Any, Any], "str | None"]
DischargeGuard = Callable[[Any, Any, "Mapping[str, Any] | None"], None]


@dataclass(frozen=True)
class Reminder:
    """One reminder a source wants the sweep to create (once, by its unique key)."""

    admission_id: int
    unit_id: int
    subject_key: str  # stable and prefixed by the source, e.g. "followup:12" (max 80 chars)
    kind: str  # a notifications NotificationKind value listed in the source's ``kinds``
    due_at: dt.datetime
    detail: str = ""
    to_physicians: bool = False  # also the unit's physicians (else its charge nurses only)


class ReminderSource(Protocol):
    kinds: tuple[str, ...]

    def due(self, now: dt.datetime) -> list[Reminder]: ...

    def still_open(self, subject_keys: Iterable[str]) -> set[str]: ...


patient_panels: list[PanelProvider] = []
discharge_guards: list[DischargeGuard] = []
reminder_sources: list[ReminderSource] = []


def register_patient_panel(provider: PanelProvider) -> None:
    # ready() may run twice (tests, autoreload); a provider is listed once.
    if provider not in patient_panels:
        patient_panels.append(provider)


def register_discharge_guard(guard: DischargeGuard) -> None:
    if guard not in discharge_guards:
        discharge_guards.append(guard)


def register_reminder_source(source: ReminderSource) -> None:
    if source not in reminder_sources:
        reminder_sources.append(source)


def source_for_kind(kind: str) -> ReminderSource | None:
    return next((s for s in reminder_sources if kind in s.kinds), None)


def render_patient_panels(request: Any, admission: Any) -> list[SafeString]:
    """The registered panels' HTML, in registration order; providers render templates, which
    escape their data, so the result is marked safe here."""
    panels = []
    for provider in patient_panels:
        html = provider(request, admission)
        if html:
            panels.append(mark_safe(html))  # noqa: S308 - rendered by the provider's template
    return panels


def check_discharge(admission: Any, actor: Any, override: Mapping[str, Any] | None) -> None:
    for guard in discharge_guards:
        guard(admission, actor, override)
