"""Demo-content hooks: each app may add patients, assessments or plans to the demo unit.

Apps list their seeder as ``"module.path:function"`` in DEMO_SEEDERS below; each takes
``unit`` and ``stdout`` and must be idempotent.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

DEMO_SEEDERS: list[str] = [
    # Order matters: patients and the on-call roster first, then what builds on them.
    "patients.demo:seed_demo_patients",
    "notifications.demo:seed_on_call",
    "assessments.demo:seed",
    "tapering.demo:seed_demo_taper_plan",
    "aftercare.demo:seed_support_groups",
]


def run_demo_seeders(*, unit: Any, stdout: Any) -> None:
    for spec in DEMO_SEEDERS:
        module, func = spec.split(":")
        getattr(import_module(module), func)(unit=unit, stdout=stdout)
