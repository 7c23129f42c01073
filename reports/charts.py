"""Server-side SVG bar charts: no JavaScript, readable without colour (every bar is labelled).

Each chart carries a <title> and a text description; the page also shows the numbers in a
table for screen readers and printing.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
BAR_AREA = 180
SERIES_FILL = ("#0b57d0", "#b3470a")  # blue and orange: distinguishable to colour-blind users
SERIES_PATTERN = ("", ' stroke="#1b1f24" stroke-dasharray="3 2"')


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    chart_id: str,
) -> SafeString:
    """Grouped bars, one group per label; series names appear in a legend with patterns."""
    groups = max(1, len(labels))
    per_group = (WIDTH - 40) / groups
    bar = max(2.0, min(28.0, per_group / (len(series) + 1)))
    top = max([1, *(v for _, values in series for v in values)])
    # Label every nth group so long ranges stay readable.
    step = max(1, groups // 12)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {BAR_AREA + 70}" '
        f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d" class="chart">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">Highest value {top}. The same numbers are in the table '
        "below the chart.</desc>",
        f'<line x1="30" y1="{BAR_AREA + 10}" x2="{WIDTH}" y2="{BAR_AREA + 10}" stroke="#4a5360"/>',
        f'<text x="0" y="18" font-size="12">{top}</text>',
        f'<text x="0" y="{BAR_AREA + 10}" font-size="12">0</text>',
    ]
    for g, label in enumerate(labels):
        x0 = 35 + g * per_group
        for s, (_name, values) in enumerate(series):
            value = values[g]
            height = BAR_AREA * value / top
            x = x0 + s * bar
            y = BAR_AREA + 10 - height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 1:.1f}" height="{height:.1f}" '
                f'fill="{SERIES_FILL[s % 2]}"{SERIES_PATTERN[s % 2]}>'
                f"<title>{escape(label)}: {value}</title></rect>"
            )
            if value and bar >= 12:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" font-size="11" '
                    f'text-anchor="middle">{value}</text>'
                )
        if g % step == 0:
            parts.append(
                f'<text x="{x0:.1f}" y="{BAR_AREA + 28}" font-size="11">{escape(label)}</text>'
            )
    for s, (name, _values) in enumerate(series):
        x = 35 + s * 170
        parts.append(
            f'<rect x="{x}" y="{BAR_AREA + 45}" width="14" height="14" '
            f'fill="{SERIES_FILL[s % 2]}"{SERIES_PATTERN[s % 2]}/>'
            f'<text x="{x + 20}" y="{BAR_AREA + 57}" font-size="13">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
