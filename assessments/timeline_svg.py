"""Server-side SVG charts for the patient timeline: CIWA-B totals with the band thresholds of
ciwa-b.md drawn, and vitals below. No JavaScript, readable at 375 px. The SVG scales to the
width and its text sizes are in viewBox units, so they are chosen for the phone: the viewBox
is about as wide as a phone's content area and text is FONT units (at least 12 px on screen
at 320 px). The time axis spans the data shown (first to last entry, with a margin), and the
time labels at its ends never overlap or leave the chart.

Every text is escaped; the caller marks the result safe.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from assessments.models import Assessment
from clinical.ciwa_b import BAND_LABELS, TOTAL_MAX, band_for_total
from cnt_detox.core.registry import TimelineMarker

WIDTH, LEFT, RIGHT, TOP, BOTTOM = 360, 34, 10, 16, 34
# 14 viewBox units render as 12.4 px at a 320 px wide chart (375 px phone minus margins).
FONT = 14
# Time-axis labels ("01 Dec 23:45"): a generous width per character, to keep them apart.
CHAR_WIDTH = 0.62 * FONT
# A single entry (or entries minutes apart) still gets this much axis, centred on the data.
MIN_SPAN = timedelta(minutes=10)
BAND_FILL = {
    "none": "#e8f0fe",
    "mild": "#dff3e4",
    "moderate": "#fff1c2",
    "severe": "#ffd7b5",
    "very_severe": "#f8c6c6",
}


@dataclass(frozen=True)
class _Axis:
    start: datetime
    end: datetime
    tz: zoneinfo.ZoneInfo

    def x(self, when: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1.0
        return LEFT + (WIDTH - LEFT - RIGHT) * (when - self.start).total_seconds() / span

    def label(self, when: datetime) -> str:
        local = when.astimezone(self.tz)
        return f"{local:%d %b %H:%M}"


def _axis(
    assessments: Sequence[Assessment],
    tz: zoneinfo.ZoneInfo,
    extra: Sequence[datetime] = (),
) -> _Axis:
    """From the first to the last entry shown (and marker in ``extra``), plus a margin; never
    the whole window."""
    start = min([assessments[0].assessed_at, *extra])
    end = max([assessments[-1].assessed_at, *extra])
    if end - start < MIN_SPAN:
        middle = start + (end - start) / 2
        start, end = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    pad = (end - start) * 0.04
    return _Axis(start - pad, end + pad, tz)


def _y(value: float, low: float, high: float, height: int, top: int = TOP) -> float:
    return top + (height - top - BOTTOM) * (1 - (value - low) / (high - low))


def _time_labels(axis: _Axis, height: int, first: datetime, last: datetime) -> list[str]:
    """The first and last times under the axis, kept inside the chart and apart.

    Each label is anchored at its point but moved inward when it would leave the chart;
    when the two would overlap (entries close together) only one label is drawn, naming both
    times if they differ.
    """
    base = height - BOTTOM + FONT + 10
    first_text, last_text = axis.label(first), axis.label(last)

    def placed(text: str, x: float) -> tuple[float, float]:
        width = len(text) * CHAR_WIDTH
        left = min(max(x - width / 2, 0.0), WIDTH - width)
        return left, left + width

    def text_at(text: str, left: float) -> str:
        return (
            f'<text x="{left:.1f}" y="{base}" font-size="{FONT}" text-anchor="start">'
            f"{escape(text)}</text>"
        )

    a = placed(first_text, axis.x(first))
    if first == last or first_text == last_text:
        return [text_at(first_text, a[0])]
    b = placed(last_text, axis.x(last))
    if a[1] + FONT <= b[0]:
        return [text_at(first_text, a[0]), text_at(last_text, b[0])]
    both = f"{first_text} to {axis.label(last).split(' ')[-1]}"
    middle = (axis.x(first) + axis.x(last)) / 2
    return [text_at(both, placed(both, middle)[0])]


def _bands() -> list[tuple[int, int, str]]:
    """(low, high, band) for each band of ciwa-b.md, read from the domain function."""
    spans: list[tuple[int, int, str]] = []
    low = 0
    for total in range(TOTAL_MAX + 1):
        band = band_for_total(total)
        if total == TOTAL_MAX or band_for_total(total + 1) != band:
            spans.append((low, total, str(band)))
            low = total + 1
    return spans


# Markers (e.g. as-needed doses): a dashed vertical line with its short label above the plot.
MARKER_COLOUR = "#5b2a86"


def _markers(markers: Sequence[TimelineMarker], axis: _Axis, height: int) -> list[str]:
    """Each marker is a labelled line ("PRN") with its words in a tooltip; a label that would
    overlap the previous one is left out (the line stays, and the list under the chart names
    every marker)."""
    parts: list[str] = []
    last_label_end = -1.0
    for m in markers:
        x = axis.x(m.at)
        label = ""
        width = len(m.short) * CHAR_WIDTH
        left = min(max(x - width / 2, 0.0), WIDTH - width)
        if left >= last_label_end + 2:
            last_label_end = left + width
            label = (
                f'<text x="{left:.1f}" y="{TOP - 3}" font-size="{FONT}" '
                f'fill="{MARKER_COLOUR}" font-weight="bold">{escape(m.short)}</text>'
            )
        parts.append(
            f'<g class="timeline-marker"><title>{escape(m.text)}</title>'
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{height - BOTTOM}" '
            f'stroke="{MARKER_COLOUR}" stroke-width="1.5" stroke-dasharray="3 2"/>{label}</g>'
        )
    return parts


def ciwa_chart(
    assessments: Sequence[Assessment],
    tz: zoneinfo.ZoneInfo,
    markers: Sequence[TimelineMarker] = (),
) -> str:
    """CIWA-B totals over time. Valid scored entries are joined by a line; entered-in-error
    ones are grey crosses off the line; "unable to assess" is a triangle on the axis;
    ``markers`` (as-needed doses given, from the core registry) are labelled dashed lines."""
    height = 230
    if not assessments:
        return ""
    axis = _axis(assessments, tz, [m.at for m in markers])
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-labelledby="ciwa-chart-title ciwa-chart-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="ciwa-chart-title">CIWA-B total over time</title>',
    ]
    valid = [a for a in assessments if a.is_valid and a.total is not None]
    desc = "No scored assessment yet."
    if valid:
        latest = valid[-1]
        desc = (
            f"{len(valid)} scored assessments; latest total {latest.total} "
            f"({BAND_LABELS[band_for_total(latest.total)]}). The table below lists every entry."
        )
    if markers:
        desc += f" {len(markers)} marked events (listed below the chart)."
    parts.append(f'<desc id="ciwa-chart-desc">{escape(desc)}</desc>')
    for low, high, band in _bands():
        y_top = _y(high, 0, TOTAL_MAX, height)
        y_low = _y(max(low - 1, 0), 0, TOTAL_MAX, height) if low else _y(0, 0, TOTAL_MAX, height)
        parts.append(
            f'<rect x="{LEFT}" y="{y_top:.1f}" width="{WIDTH - LEFT - RIGHT}" '
            f'height="{max(y_low - y_top, 1):.1f}" fill="{BAND_FILL[band]}"/>'
        )
        if high < TOTAL_MAX:
            parts.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y_top:.1f}" y2="{y_top:.1f}" '
                'stroke="#4a5360" stroke-dasharray="4 3" stroke-width="0.8"/>'
            )
        if high > 0:
            parts.append(
                f'<text x="{WIDTH - RIGHT - 3}" y="{y_top + FONT + 2:.1f}" font-size="{FONT}" '
                f'text-anchor="end" fill="#1b1f24">{escape(BAND_LABELS[band])} '
                f"({low}-{high})</text>"
            )
        parts.append(
            f'<text x="{LEFT - 4}" y="{y_top + 5:.1f}" font-size="{FONT}" text-anchor="end">'
            f"{high}</text>"
        )
    points = [(axis.x(a.assessed_at), _y(a.total or 0, 0, TOTAL_MAX, height)) for a in valid]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#0b57d0" stroke-width="2"/>')
    for a in assessments:
        x = axis.x(a.assessed_at)
        if not a.is_valid:
            y = _y(a.total or 0, 0, TOTAL_MAX, height)
            parts.append(
                f'<g stroke="#6b7480" stroke-width="1.5"><title>Entered in error</title>'
                f'<line x1="{x - 4:.1f}" y1="{y - 4:.1f}" x2="{x + 4:.1f}" y2="{y + 4:.1f}"/>'
                f'<line x1="{x - 4:.1f}" y1="{y + 4:.1f}" x2="{x + 4:.1f}" y2="{y - 4:.1f}"/></g>'
            )
        elif a.total is None:
            y = _y(0, 0, TOTAL_MAX, height)
            parts.append(
                f'<path d="M{x:.1f},{y - 9:.1f} l5,8 h-10 z" fill="#a50e0e">'
                "<title>Unable to assess</title></path>"
            )
        else:
            y = _y(a.total, 0, TOTAL_MAX, height)
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#0b57d0">'
                f"<title>{a.total}</title></circle>"
            )
    parts += _markers(markers, axis, height)
    parts += _time_labels(axis, height, assessments[0].assessed_at, assessments[-1].assessed_at)
    parts.append("</svg>")
    return "".join(parts)


VITAL_SERIES = (
    ("heart_rate", "Heart rate /min", "#0b57d0", "circle"),
    ("systolic_bp", "Systolic BP mmHg", "#a50e0e", "square"),
    ("respiratory_rate", "Resp. rate /min", "#1e6b35", "diamond"),
)


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{colour}"/>'
    if shape == "diamond":
        return f'<path d="M{x:.1f},{y - 4:.1f} l4,4 l-4,4 l-4,-4 z" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>'


def vitals_chart(assessments: Sequence[Assessment], tz: zoneinfo.ZoneInfo) -> str:
    """Heart rate, systolic pressure and respiratory rate of valid entries, same time axis."""
    # The legend takes one row per series above the plot, so labels never run into each other.
    legend_row = FONT + 6
    plot_top = TOP + legend_row * len(VITAL_SERIES)
    height = 190 + plot_top - TOP
    valid = [a for a in assessments if a.is_valid]
    if not assessments or not any(
        getattr(a, n) is not None for a in valid for n, *_ in VITAL_SERIES
    ):
        return ""
    axis = _axis(assessments, tz)
    low, high = 0, 220
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-labelledby="vitals-chart-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="vitals-chart-title">Heart rate, systolic blood pressure and respiratory '
        "rate over time (values in the table below)</title>",
    ]
    for tick in (0, 50, 100, 150, 200):
        y = _y(tick, low, high, height, plot_top)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c9ced6" '
            f'stroke-width="0.6"/><text x="{LEFT - 4}" y="{y + 5:.1f}" font-size="{FONT}" '
            f'text-anchor="end">{tick}</text>'
        )
    for index, (name, label, colour, shape) in enumerate(VITAL_SERIES):
        series = [(a.assessed_at, getattr(a, name)) for a in valid if getattr(a, name) is not None]
        pts = [(axis.x(t), _y(min(float(v), high), low, high, height, plot_top)) for t, v in series]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
            )
        parts += [_marker(shape, x, y, colour) for x, y in pts]
        ly = 4 + legend_row * index + FONT / 2
        parts.append(_marker(shape, LEFT + 4, ly, colour))
        parts.append(
            f'<text x="{LEFT + 14}" y="{ly + FONT / 2 - 2:.1f}" font-size="{FONT}">'
            f"{escape(label)}</text>"
        )
    parts += _time_labels(axis, height, assessments[0].assessed_at, assessments[-1].assessed_at)
    parts.append("</svg>")
    return "".join(parts)
