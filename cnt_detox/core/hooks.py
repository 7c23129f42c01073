"""Hooks a lower app calls and higher apps fill from ``AppConfig.ready()``.

The layers let an app import only the apps below it, so the patients app cannot call the
assessments app when a patient is admitted. Instead it runs the "admission created" hooks,
which the assessments app registers (architecture.md: a registry apps fill from ready()).
Likewise the tapering app runs the "dose recorded" hooks, which the notifications app fills to
close the reminders of that dose at once.
Hooks run inside the caller's transaction: a failing hook rolls the admission back, so nothing
is half-saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

AdmissionHook = Callable[..., None]
_admission_created: list[AdmissionHook] = []


def on_admission_created(hook: AdmissionHook) -> AdmissionHook:
    """Register ``hook(*, admission, actor)``; registering the same function twice is a no-op."""
    if hook not in _admission_created:
        _admission_created.append(hook)
    return hook


def admission_created(*, admission: Any, actor: Any) -> None:
    for hook in list(_admission_created):
        hook(admission=admission, actor=actor)


_dose_recorded: list[AdmissionHook] = []


def on_dose_recorded(hook: AdmissionHook) -> AdmissionHook:
    """Register ``hook(*, admission_id, due_at)``; registering twice is a no-op."""
    if hook not in _dose_recorded:
        _dose_recorded.append(hook)
    return hook


def dose_recorded(*, admission_id: int, due_at: Any) -> None:
    for hook in list(_dose_recorded):
        hook(admission_id=admission_id, due_at=due_at)


DischargeGuard = Callable[..., None]
_discharge_guards: list[DischargeGuard] = []


def on_discharge(guard: DischargeGuard) -> DischargeGuard:
    """Register ``guard(*, admission, actor, override)``, run inside the discharge transaction
    before anything is written; it raises ValidationError to refuse (discharge readiness)."""
    if guard not in _discharge_guards:
        _discharge_guards.append(guard)
    return guard


def discharge_check(*, admission: Any, actor: Any, override: Any) -> None:
    for guard in list(_discharge_guards):
        guard(admission=admission, actor=actor, override=override)
