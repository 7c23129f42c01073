"""The streaming XLSX writer: openpyxl reads back exactly what was written."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from reports import exports
from reports.xlsx_writer import StreamingWorkbook


def test_cells_keep_their_place_type_and_text():
    out = io.BytesIO()
    book = StreamingWorkbook(out)
    book.create_sheet("Assessments & more <x>")
    book.append(["a", "", 3, Decimal("1.5"), True, "'=cmd", "  spaced  ", 'q"<&>', None, "last"])
    book.append([])
    book.append(["Ünïcødé ✓"])
    book.create_sheet("SHA-256")
    book.append(["digest"])
    book.close()
    for read_only in (True, False):
        wb = load_workbook(io.BytesIO(out.getvalue()), read_only=read_only)
        assert wb.sheetnames == ["Assessments & more <x>", "SHA-256"]
        rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        first = rows[0]
        assert first == ["a", None, 3, 1.5, True, "'=cmd", "  spaced  ", 'q"<&>', None, "last"]
        assert rows[-1][0] == "Ünïcødé ✓"
        assert next(iter(wb["SHA-256"].iter_rows(values_only=True)))[0] == "digest"


def test_control_characters_are_dropped_and_the_digest_still_verifies():
    table = exports.ExportTable(
        kind="t",
        sheet="Rows",
        header=["note", "n"],
        rows=[["bad\x0bchar\x00", 1], ["fine", 2]],
    )
    out = io.BytesIO()
    rows, _digest = exports.write_xlsx(table, out)
    assert rows == 2
    assert exports.verify_xlsx(io.BytesIO(out.getvalue()))
    read, _ = exports.xlsx_rows(io.BytesIO(out.getvalue()))
    assert read[1][:2] == ["badchar", 1]
