"""Issue 20 item 14: chart text is at least 12 px on a phone, time labels never overlap or
leave the chart, and the time axis spans the data shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.conftest import PHONE, screenshot
from tests.factories import make_admission, make_assessment

# For every svg.chart: the smallest rendered text size, texts outside the chart, overlapping
# pairs among the texts of the bottom row (the time axis), and where the data points sit.
MEASURE = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const texts = [...svg.querySelectorAll('text')].map(t => ({
    text: t.textContent, px: parseFloat(t.getAttribute('font-size')) * scale,
    r: t.getBoundingClientRect()}));
  const outside = texts.filter(t => t.r.left < box.left - 0.5 || t.r.right > box.right + 0.5
    || t.r.top < box.top - 0.5 || t.r.bottom > box.bottom + 0.5).map(t => t.text);
  const overlaps = [];
  for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
    const a = texts[i].r, b = texts[j].r;
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5
        && b.top < a.bottom - 0.5) overlaps.push([texts[i].text, texts[j].text]);
  }
  const xs = [...svg.querySelectorAll('circle')].map(c => c.cx.baseVal.value);
  return {minPx: Math.min(...texts.map(t => t.px)), outside, overlaps,
          width: svg.viewBox.baseVal.width, xs};
})"""


def _check(charts):
    assert charts, "no chart on the page"
    for chart in charts:
        assert chart["minPx"] >= 12, chart
        assert not chart["outside"], chart
        assert not chart["overlaps"], chart


@pytest.mark.parametrize("spread_minutes", [20, 600])
def test_timeline_charts_on_a_phone(page_factory, login, live_server, nurse, unit, spread_minutes):
    admission = make_admission(unit, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=2))
    now = timezone.now()
    times = [now - dt.timedelta(minutes=spread_minutes * k / 3) for k in (3, 2, 1, 0)]
    for k, when in enumerate(times):
        make_assessment(
            admission,
            by=nurse,
            total=10 + 8 * k,
            assessed_at=when,
            heart_rate=80 + 5 * k,
            systolic_bp=120 + 3 * k,
            respiratory_rate=16 + k,
        )
    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    page.goto(f"{live_server.url}/assessments/admissions/{admission.public_id}/timeline/")
    screenshot(page, f"timeline-phone-{spread_minutes}min")
    charts = page.evaluate(MEASURE)
    _check(charts)
    # The axis spans the data: first and last points near the ends of the plot.
    xs = charts[0]["xs"]
    assert max(xs) - min(xs) >= 0.8 * (charts[0]["width"] - 44), xs
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_period_report_charts_on_a_phone(page_factory, login, live_server, admin_user, unit, nurse):
    from patients.models import Bed

    for days in range(0, 30, 3):
        bed = Bed.objects.create(unit=unit, label=f"P{days}")
        make_admission(
            unit, bed, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=days, hours=1)
        )
    today = unit.local_now().date()
    page = page_factory(viewport=PHONE)
    login(page, admin_user.username)
    page.goto(
        f"{live_server.url}/reports/period/?unit={unit.public_id}"
        f"&start={today - dt.timedelta(days=60)}&end={today}"
    )
    screenshot(page, "period-report-phone")
    _check(page.evaluate(MEASURE))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
