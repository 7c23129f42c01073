"""Check the SHA-256 line of a census or report export: ``manage.py verify_export FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reports.exports import verify_csv, verify_xlsx


class Command(BaseCommand):
    help = "Verify the SHA-256 digest inside a CSV or XLSX export."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        ok = verify_xlsx(path) if path.suffix.lower() == ".xlsx" else verify_csv(path.read_bytes())
        if not ok:
            raise CommandError(f"{path}: the digest does NOT match; the file was changed.")
        self.stdout.write(f"{path}: digest matches.")
