"""Page helpers: links for open readiness items, local times of stored content."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class ItemLink:
    """Where an open readiness item is resolved: a url name, whether it takes the stay's
    public id as ``admission_id``, and the link text."""

    url_name: str
    per_admission: bool
    text: str


# One entry per readiness code of clinical/discharge.py that has a page to resolve it. Named
# explicitly (no guessing between url conventions) so a renamed url fails loudly in
# tests/aftercare/test_item_links.py instead of silently dropping the link.
ITEM_LINKS: dict[str, ItemLink] = {
    "dose_above_discharge": ItemLink("tapering:plan_for_admission", True, "Open the taper plan"),
    "open_escalation": ItemLink("notifications:list", False, "Open notifications"),
    "ciwa_overdue": ItemLink("assessments:new", True, "Record CIWA-B"),
    "doses_unrecorded": ItemLink("tapering:today", True, "Record today's doses"),
    "plan_awaiting_second_signature": ItemLink(
        "tapering:plan_for_admission", True, "Open the taper plan"
    ),
}


def item_url(code: str, admission: Any) -> str:
    """The page that resolves ``code`` for this stay; "" for a code with no page."""
    link = ITEM_LINKS.get(code)
    if link is None:
        return ""
    if link.per_admission:
        return reverse(link.url_name, kwargs={"admission_id": admission.public_id})
    return reverse(link.url_name)


def with_links(items: list[dict[str, Any]], admission: Any) -> list[dict[str, Any]]:
    return [
        {
            **i,
            "url": item_url(i["code"], admission),
            "link_text": ITEM_LINKS[i["code"]].text if i["code"] in ITEM_LINKS else "Open",
        }
        for i in items
    ]


def parse_local(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def shown(content: dict[str, Any]) -> dict[str, Any]:
    """Stored content with ISO strings turned into dates/times for templates."""
    stay = content["stay"]
    taper = content.get("continuing_taper")
    steps = []
    if taper:
        for step in taper["steps"]:
            steps.append(
                {
                    **step,
                    "from_date": dt.date.fromisoformat(step["from"]),
                    "to_date": dt.date.fromisoformat(step["to"]),
                }
            )
    ciwa = content["ciwa_b"]
    return {
        "ciwa_chart": ciwa_svg(ciwa.get("chart", [])),
        **content,
        "admitted_at": parse_local(stay["admitted_at"]),
        "discharged_at": parse_local(stay["discharged_at"]),
        "taper_steps": steps,
        "ciwa_points": {
            k: {**ciwa[k], "at": parse_local(ciwa[k]["assessed_at"])} if ciwa[k] else None
            for k in ("first", "peak", "last")
        },
    }


def ciwa_svg(points: list[list[Any]]) -> str:
    """A small line chart of CIWA-B totals (0-80) in stay order; numbers only, so the markup
    carries no user text. Severity is not shown by colour (the totals are in the text)."""
    if len(points) < 2:
        return ""
    width, height, pad = 600, 160, 20
    step = (width - 2 * pad) / (len(points) - 1)
    coords = []
    for n, (_, total) in enumerate(points):
        x = pad + n * step
        y = height - pad - (int(total) / 80) * (height - 2 * pad)
        coords.append(f"{x:.1f},{y:.1f}")
    dots = "".join(f'<circle cx="{c.split(",")[0]}" cy="{c.split(",")[1]}" r="3"/>' for c in coords)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="CIWA-B totals over the stay">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        f'stroke="#000" stroke-width="1"/>'
        f'<text x="2" y="{pad}" font-size="10">80</text>'
        f'<text x="2" y="{height - pad}" font-size="10">0</text>'
        f'<polyline fill="none" stroke="#000" stroke-width="2" points="{" ".join(coords)}"/>'
        f"{dots}</svg>"
    )
