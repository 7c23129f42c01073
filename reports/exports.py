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

import hashlib
import json
import re
import tempfile
from collections.abc import Sequence
from typing import IO, Any

from django.http import FileResponse, HttpResponse
from openpyxl import load_workbook

# The CSV writer is shared with the audit-log export, so it lives in core (layers); the
# names stay importable from here for the report views and verify_export.
from cnt_detox.core.csv_export import (  # noqa: F401
    BOM,
    CHUNK_BYTES,
    DIGEST_PREFIX,
    DIGEST_SHEET,
    REDISCLOSURE_NOTICE,
    XLSX_TYPE,
    AuditHook,
    ExportTable,
    _Lines,
    csv_chunks,
    csv_response,
    escape_cell,
    verify_csv,
)
from reports.xlsx_writer import ILLEGAL_XML, StreamingWorkbook


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
