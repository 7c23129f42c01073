"""PDF of a signed discharge summary with WeasyPrint (no outside service).

WeasyPrint needs Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0); the stylesheet is read
from the static files so the PDF looks like the printable page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from aftercare import presenters, selectors

STYLESHEET = "aftercare/document.css"


def summary_pdf(row: Any, request: Any = None) -> bytes:
    from weasyprint import CSS, HTML  # heavy import (Pango), only when a PDF is asked for

    html = render_to_string(
        "aftercare/summary_document.html",
        {
            "row": row,
            "admission": row.admission,
            "s": presenters.shown(row.content),
            "versions": selectors.summary_versions(row.admission),
            "for_pdf": True,
            "facility_name": settings.FACILITY_NAME,
        },
        request=request,
    )
    css = finders.find(STYLESHEET)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=css)] if css else None)
