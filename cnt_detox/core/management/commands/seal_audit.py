"""Link unsealed audit rows into the hash chain now (what the beat task does every few s)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cnt_detox.core.audit import seal_pending


class Command(BaseCommand):
    help = (
        "Seal pending audit rows into the HMAC chain (idempotent; safe next to the beat task). "
        "--full also looks below the lookback window for rows that committed very late."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="scan the whole log")

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = seal_pending(full=options["full"], max_batches=1_000_000)
        self.stdout.write(self.style.SUCCESS(f"Sealed {sealed} audit rows."))
