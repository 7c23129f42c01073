"""Server-side SVG bar charts: no JavaScript, readable without colour (every bar is labelled).

Each chart carries a <title> and a text description; the page also shows the numbers in a
table for screen readers and printing.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Sized for a phone: the viewBox is about as wide as a phone's content area (320 px at
# 375 px), so FONT viewBox units render at 12 px or more there; wider screens scale it up.
WIDTH = 360
FONT = 14
CHAR_WIDTH = 0.62 * FONT  # a generous width per character, to keep labels apart
LEFT, RIGHT, TOP = 34, 4, FONT + 6
BAR_AREA = 160
SERIES_FILL = ("#0b57d0", "#b3470a")  # blue and orange: distinguishable to colour-blind users
SERIES_PATTERN = ("", ' stroke="#1b1f24" stroke-dasharray="3 2"')


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT}" text-anchor="{anchor}">'
        f"{escape(text)}</text>"
    )


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    chart_id: str,
) -> SafeString:
    """Grouped bars, one group per label; series names appear in a legend with patterns.

    Group labels are thinned so that none overlaps the next or leaves the chart; values are
    written over a bar only where they fit. The page shows every number in a table too.
    """
    groups = max(1, len(labels))
    plot_left, plot_right = LEFT + 4, WIDTH - RIGHT
    per_group = (plot_right - plot_left) / groups
    bar = max(1.0, min(28.0, per_group / (len(series) + 1)))
    top = max([1, *(v for _, values in series for v in values)])
    axis_y = TOP + BAR_AREA
    label_y = axis_y + FONT + 10
    legend_y = label_y + FONT + 12
    height = legend_y + (FONT + 8) * len(series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d" class="chart">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">Highest value {top}. The same numbers are in the table '
        "below the chart.</desc>",
        f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH}" y2="{axis_y}" stroke="#4a5360"/>',
        _text(LEFT - 4, TOP + 5, str(top), "end"),
        _text(LEFT - 4, axis_y + 5, "0", "end"),
    ]
    last_label_end = -1.0
    for g, label in enumerate(labels):
        x0 = plot_left + g * per_group
        for s, (_name, values) in enumerate(series):
            value = values[g]
            height_px = BAR_AREA * value / top
            x = x0 + s * bar
            y = axis_y - height_px
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar - 1, 0.5):.1f}" '
                f'height="{height_px:.1f}" fill="{SERIES_FILL[s % 2]}"{SERIES_PATTERN[s % 2]}>'
                f"<title>{escape(label)}: {value}</title></rect>"
            )
            if value and bar >= len(str(value)) * CHAR_WIDTH + 2:
                parts.append(_text(x + bar / 2, max(y - 3, TOP + FONT), str(value), "middle"))
        width = len(label) * CHAR_WIDTH
        centre = x0 + bar * len(series) / 2
        left = min(max(centre - width / 2, 0.0), WIDTH - width)
        if left >= last_label_end + FONT / 2:
            parts.append(_text(left, label_y, label))
            last_label_end = left + width
    for s, (name, _values) in enumerate(series):
        y = legend_y + s * (FONT + 8)
        parts.append(
            f'<rect x="{plot_left}" y="{y - FONT + 2}" width="14" height="14" '
            f'fill="{SERIES_FILL[s % 2]}"{SERIES_PATTERN[s % 2]}/>'
        )
        parts.append(_text(plot_left + 20, y, name))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
