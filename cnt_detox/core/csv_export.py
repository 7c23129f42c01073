"""The CSV writer every export shares (report exports and the audit-log CSV, issue 19.5).

Lives in core so both the reports app and core's audit viewer use one writer without an
upward import: a UTF-8 BOM, formula-looking cells escaped (OWASP CSV injection), the 42 CFR
Part 2 notice, and a last line with the SHA-256 of every byte above it, streamed in ~64 KB
chunks. The audit hook ``on_done(rows, sha256, completed)`` runs exactly once, when streaming
ends (also when the client disconnects). See reports/exports.py for XLSX and JSON.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import StreamingHttpResponse

# 42 CFR 2.32 requires this notice with every disclosure of Part 2 records; plain words,
# citing the rule. The facility's privacy officer may want to review the wording.
REDISCLOSURE_NOTICE = (
    "CONFIDENTIAL - 42 CFR Part 2. These are confidential substance use disorder treatment "
    "records protected by federal law (42 CFR Part 2). Do not disclose them further, or use "
    "them against the patient, without the patient's written consent or as 42 CFR Part 2 "
    "otherwise permits. A general authorization to release medical information is not enough."
)
DIGEST_PREFIX = "SHA-256 of the lines above: "
DIGEST_SHEET = "SHA-256"
BOM = "\ufeff"
CHUNK_BYTES = 64 * 1024
# Spreadsheet programs run a cell starting with one of these as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

AuditHook = Callable[[int, str, bool], None]


def escape_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass
class ExportTable:
    """One table to export: a header, lazily produced rows and the lines of its footer."""

    kind: str
    sheet: str
    header: list[str]
    rows: Iterable[Sequence[Any]]
    meta: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    filename_stem: str = "export"

    def footer(self) -> list[list[str]]:
        return [[], [REDISCLOSURE_NOTICE], *([line] for line in self.meta)]


class _Lines:
    """Encodes one CSV row at a time, exactly as the file will hold it."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def encode(self, values: Sequence[Any]) -> bytes:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow([escape_cell(v) for v in values])
        return self.buffer.getvalue().encode("utf-8")


def _escaped(values: Sequence[Any]) -> list[Any]:
    # escape_cell inlined: this runs for every cell of a 100,000-row export.
    return [
        ("'" + v if v.startswith(_FORMULA_START) else v)
        if type(v) is str
        else ("" if v is None else v)
        for v in values
    ]


def csv_chunks(table: ExportTable, on_done: AuditHook) -> Iterator[bytes]:
    """Bytes of the CSV file; calls ``on_done(rows, sha256, completed)`` exactly once.

    Rows are written into one text buffer and encoded and hashed a chunk at a time (the same
    bytes as row by row, with far fewer calls per row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    hasher = hashlib.sha256()
    rows = 0
    completed = False

    def take() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        hasher.update(data)
        return data

    try:
        buffer.write(BOM)
        writer.writerow(_escaped(table.header))
        for values in table.rows:
            writer.writerow(_escaped(values))
            rows += 1
            if buffer.tell() >= CHUNK_BYTES:
                yield take()
        for values in table.footer():
            writer.writerow(_escaped(values))
        last = take()
        digest = hasher.hexdigest()
        writer.writerow(_escaped([DIGEST_PREFIX + digest]))
        yield last + buffer.getvalue().encode("utf-8")
        completed = True
    finally:
        on_done(rows, hasher.hexdigest() if completed else "", completed)


def csv_response(table: ExportTable, filename: str, on_done: AuditHook) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_chunks(table, on_done), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def verify_csv(data: bytes) -> bool:
    body, _, last = data.rstrip(b"\r\n").rpartition(b"\r\n")
    text = last.decode("utf-8").strip().strip('"')
    if not text.startswith(DIGEST_PREFIX):
        return False
    return hashlib.sha256(body + b"\r\n").hexdigest() == text[len(DIGEST_PREFIX) :]
