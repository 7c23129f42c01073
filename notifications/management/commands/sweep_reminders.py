"""Run one reminder sweep by hand or from cron (same work as the Celery beat task)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.services import sweep


class Command(BaseCommand):
    help = "Create due reminders and escalation steps, and queue their delivery (one sweep)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sweep()
        self.stdout.write(
            f"Sweep done: {result.created} created, {result.resolved} resolved, "
            f"{result.queued} queued for delivery."
        )
