"""Streaming CSV and XLSX exports with the 42 CFR Part 2 notice and a SHA-256 digest.

Memory stays flat whatever the row count: rows come from ``QuerySet.iterator(chunk_size=...)``,
CSV goes out through ``StreamingHttpResponse`` in ~64 KB chunks, and XLSX is written row by
row (reports/xlsx_writer.py) to an anonymous temporary file sent with ``FileResponse``.

Integrity. A file cannot hold its own digest, so the digest covers everything *above* it:
- CSV: the last line reads ``SHA-256 of the lines above: <hex>``; it is the SHA-256 of every
  byte before that line (UTF-8 BOM, header, rows, notice). Verify with
  ``head -n -1 export.csv | sha256sum`` or ``manage.py verify_export export.csv``.
- XLSX: the last sheet "SHA-256" holds the SHA-256 of the first sheet's rows, each written
  as a CSV line without its trailing empty cells (XLSX does not keep those), so it survives
  re-zipping and does not depend on the zip bytes; the HTTP header ``X-Content-SHA256``
  also gives the digest of the whole .xlsx file as sent.
  Verify with ``manage.py verify_export export.xlsx``.

Audit. Each export leaves one audit row with its parameters, row count and digest, written
when streaming ends (``finally``: also when the client disconnects, then marked
``completed: false`` with the rows sent so far). Counting first would cost a second pass over
100,000 rows and could still disagree with what was sent; auditing at the end records exactly
what left the building.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from openpyxl import load_workbook

from reports.xlsx_writer import ILLEGAL_XML, StreamingWorkbook

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


def write_xlsx(table: ExportTable, out: IO[bytes]) -> tuple[int, str]:
    """Write the workbook to ``out``; returns (row count, digest of the rows as CSV)."""
    workbook = StreamingWorkbook(out)
    title = table.sheet[:31]
    workbook.create_sheet(title)
    lines = _Lines()
    hasher = hashlib.sha256(BOM.encode("utf-8"))
    rows = 0

    def put(values: Sequence[Any]) -> None:
        escaped = _canonical([_xml_safe(escape_cell(v)) for v in values])
        hasher.update(_raw_line(lines, escaped))
        workbook.append(escaped)

    put(table.header)
    for values in table.rows:
        put(values)
        rows += 1
    for values in table.footer():
        put(values)
    digest = hasher.hexdigest()
    workbook.create_sheet(DIGEST_SHEET)
    workbook.append([f"SHA-256 of the rows of sheet '{title}' as CSV lines (UTF-8, BOM):"])
    workbook.append([digest])
    workbook.append(["Verify with: python manage.py verify_export <file.xlsx>"])
    workbook.close()
    return rows, digest


def _xml_safe(value: Any) -> Any:
    # A control character cannot be stored in XLSX; drop it so the digest matches the file.
    return ILLEGAL_XML.sub("", value) if isinstance(value, str) else value


def xlsx_response(table: ExportTable, filename: str, on_done: AuditHook) -> FileResponse:
    # An anonymous temporary file: nothing with patient data is left on disk after close.
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    try:
        rows, digest = write_xlsx(table, out)
    except BaseException:
        out.close()
        on_done(0, "", False)
        raise
    file_hash = hashlib.sha256()
    out.seek(0)
    for block in iter(lambda: out.read(CHUNK_BYTES), b""):
        file_hash.update(block)
    out.seek(0)
    on_done(rows, digest, True)
    response = FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    response["X-Content-SHA256"] = file_hash.hexdigest()
    return response


def json_response(table: ExportTable, on_done: AuditHook, extra: dict[str, Any]) -> HttpResponse:
    """Small tables only (census, per-admission summary): the rows as objects."""
    keys = [_key(h) for h in table.header]
    rows = [dict(zip(keys, (v for v in values), strict=True)) for values in table.rows]
    body = {**extra, "columns": table.header, "rows": rows, "notice": REDISCLOSURE_NOTICE}
    data = json.dumps(body, default=str).encode("utf-8")
    on_done(len(rows), hashlib.sha256(data).hexdigest(), True)
    return HttpResponse(data, content_type="application/json")


def _key(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


# --- Verification ------------------------------------------------------------------------------


def verify_csv(data: bytes) -> bool:
    body, _, last = data.rstrip(b"\r\n").rpartition(b"\r\n")
    text = last.decode("utf-8").strip().strip('"')
    if not text.startswith(DIGEST_PREFIX):
        return False
    return hashlib.sha256(body + b"\r\n").hexdigest() == text[len(DIGEST_PREFIX) :]


def xlsx_rows(path_or_file: Any) -> tuple[list[list[Any]], str]:
    """The first sheet's rows (None as "") and the stated digest."""
    workbook = load_workbook(path_or_file, read_only=True)
    first, check = workbook.worksheets[0], workbook[DIGEST_SHEET]
    rows = [["" if v is None else v for v in row] for row in first.iter_rows(values_only=True)]
    stated = str(list(check.iter_rows(values_only=True))[1][0])
    workbook.close()
    return rows, stated


def verify_xlsx(path_or_file: Any) -> bool:
    rows, stated = xlsx_rows(path_or_file)
    lines = _Lines()
    hasher = hashlib.sha256(BOM.encode("utf-8"))
    for row in rows:
        hasher.update(_raw_line(lines, _canonical(row)))
    return hasher.hexdigest() == stated


def _canonical(values: Sequence[Any]) -> list[Any]:
    """The row without trailing empty cells (a spreadsheet does not store them)."""
    out = ["" if v is None else v for v in values]
    while out and out[-1] == "":
        out.pop()
    return out


def _raw_line(lines: _Lines, values: Sequence[Any]) -> bytes:
    # Cells in the workbook are already escaped: encode without escaping again.
    lines.buffer.seek(0)
    lines.buffer.truncate()
    lines.writer.writerow(values)
    return lines.buffer.getvalue().encode("utf-8")
