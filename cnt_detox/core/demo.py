"""Demo content: each app registers an idempotent seeder (cnt_detox.core.registry) that adds
patients, assessments or plans to the demo unit; they run in their registered order."""

from __future__ import annotations

from typing import Any

from cnt_detox.core import registry


def run_demo_seeders(*, unit: Any, stdout: Any) -> None:
    for seeder in registry.demo_seeders():
        seeder(unit=unit, stdout=stdout)
