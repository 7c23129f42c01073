import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import Assessment
from cnt_detox.core.models import AuditEvent
from reports import exports
from reports.period import ADMISSION_HEADER, ASSESSMENT_HEADER, Period, period_summary
from tests.factories import make_assessment

pytestmark = pytest.mark.django_db


def week(unit, now):
    today = now.astimezone(unit.tz).date()
    return Period(unit, today - dt.timedelta(days=7), today)


def body(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_period_summary_figures(seeded, unit):
    s = period_summary(week(unit, seeded.now), now=seeded.now)
    # The transferred stay began on Ward 2: a transfer in, not an admission to Ward 1.
    assert (s.admissions, s.discharges, s.transfers_in, s.transfers_out) == (2, 1, 1, 0)
    assert s.los_mean_days == s.los_median_days == Decimal("3.0")
    # Second assessments only: transferred (due 16 h ago, done 2 h ago: late) and
    # discharged (due 4 h after the first, done 2.4 h after: on time).
    assert (s.due_checked, s.on_time) == (2, 1)
    assert s.on_time_text == "50% (1 of 2)"
    assert s.assessments == 5
    assert s.escalations == 2
    assert s.escalations_acknowledged == 1
    assert s.ack_median_minutes == 60
    assert s.escalations_by_kind == {"Severe withdrawal": 1, "Critical flag": 1}
    assert s.plan_median_hours == "no signed plan"
    assert s.notifications == 0
    assert s.peak_bands == {"Severe": 1, "Moderate": 2}
    assert sum(a for _, a, _ in s.daily) == 2 and sum(d for _, _, d in s.daily) == 1

    rows = {r[1]: dict(zip(ADMISSION_HEADER, r, strict=True)) for r in s.rows}
    t = rows[seeded.transferred.patient.mrn]
    assert t["Peak CIWA-B in period"] == 45 and t["Peak band"] == "Severe"
    assert t["Assessed on time"] == "0 of 1"
    assert t["Escalations in period"] == 1 and t["Escalations not acknowledged"] == 0
    assert t["Admission to signed taper plan (hours)"] == "no signed plan"
    assert t["Length of stay (days)"].endswith("(still admitted)")
    d = rows[seeded.discharged.patient.mrn]
    assert d["Length of stay (days)"] == "3.0" and d["Discharged"]
    assert d["Peak CIWA-B in period"] == 30 and d["Assessed on time"] == "1 of 1"
    c = rows[seeded.critical.patient.mrn]
    assert c["Escalations not acknowledged"] == 1 and c["Peak band"] == "Moderate"


def test_assessments_before_the_period_only_set_the_due_time(seeded, unit, nurse):
    today = seeded.now.astimezone(unit.tz).date()
    # A period that starts after the discharged stay's assessments: none of them counted.
    period = Period(unit, today - dt.timedelta(days=1), today)
    s = period_summary(period, now=seeded.now)
    assert s.discharges == 0
    mrn = seeded.discharged.patient.mrn
    assert mrn not in [r[1] for r in s.rows] or s.los_mean_days is None


def test_signed_plan_time_from_tapering(monkeypatch, seeded, unit):
    from tapering import selectors as tapering_selectors

    monkeypatch.setattr(
        tapering_selectors,
        "signed_at_by_admission",
        lambda ids: {seeded.critical.pk: seeded.critical.admitted_at + dt.timedelta(hours=3)},
    )
    s = period_summary(week(unit, seeded.now), now=seeded.now)
    assert s.plan_median_hours == Decimal("3.0")
    rows = {r[1]: r for r in s.rows}
    assert rows[seeded.critical.patient.mrn][10] == "3.0"
    assert rows[seeded.transferred.patient.mrn][10] == "no signed plan"


def test_assessment_rows_export(client, admin_user, seeded, unit, nurse):
    wrong = make_assessment(
        seeded.critical, by=nurse, total=70, assessed_at=seeded.now - dt.timedelta(hours=1)
    )
    Assessment.objects.filter(pk=wrong.pk).update(status="entered_in_error", error_reason="Typo")
    client.force_login(admin_user)
    p = week(unit, seeded.now).params()
    response = client.get(
        reverse("reports:period-export"), {**p, "rows": "assessments", "format": "csv"}
    )
    assert response.status_code == 200
    assert "period-assessments_ward-1_" in response["Content-Disposition"]
    data = body(response)
    assert exports.verify_csv(data)
    rows = csv_rows(data)
    assert rows[0] == ASSESSMENT_HEADER
    data_rows = [dict(zip(ASSESSMENT_HEADER, r, strict=True)) for r in rows[1:7]]
    on_time = sorted(r["On time"] for r in data_rows)
    assert on_time == [
        "No (late by 14 h)",
        "Not counted (entered in error)",
        "Not counted (first assessment)",
        "Not counted (first assessment)",
        "Not counted (first assessment)",
        "Yes",
    ]
    wrong_row = next(r for r in data_rows if r["Status"] == "Entered in error")
    assert wrong_row["Reason entered in error"] == "Typo" and wrong_row["CIWA-B total"] == "70"
    event = AuditEvent.objects.get(action="report.exported")
    assert event.details["rows"] == 6 and event.details["kind"] == "period_assessments"


def test_period_page_with_charts_is_audited(client, admin_user, seeded, unit):
    client.force_login(admin_user)
    p = week(unit, seeded.now).params()
    response = client.get(reverse("reports:period"), p)
    assert response.status_code == 200
    html = response.content.decode()
    # The two charts (the page's icons are SVG too).
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" viewBox') == 2
    assert "Admissions and discharges per day" in html
    assert "50% (1 of 2)" in html
    event = AuditEvent.objects.get(action="period_report.viewed")
    assert len(event.details["admissions"]) == 3


def test_period_xlsx_matches_csv(client, admin_user, seeded, unit):
    client.force_login(admin_user)
    p = week(unit, seeded.now).params()
    url = reverse("reports:period-export")
    csv_data = csv_rows(body(client.get(url, {**p, "format": "csv"})))
    raw = body(client.get(url, {**p, "format": "xlsx"}))
    assert exports.verify_xlsx(io.BytesIO(raw))
    xlsx, _ = exports.xlsx_rows(io.BytesIO(raw))
    assert [[str(c) for c in r] for r in xlsx[:4]] == csv_data[:4]


def test_period_api_json_and_errors(api, admin_user, nurse, seeded, unit):
    p = week(unit, seeded.now).params()
    response = api(admin_user).get("/api/v1/reports/period", {**p, "format": "json"})
    assert response.status_code == 200
    data = response.json()
    assert data["summary"]["admissions"] == 2 and len(data["rows"]) == 3
    assert api(nurse).get("/api/v1/reports/period", p).status_code == 403

    bad = api(admin_user).get(
        "/api/v1/reports/period", {"unit": p["unit"], "start": p["end"], "end": p["start"]}
    )
    assert bad.status_code == 400 and "end" in bad.json()["error"]["fields"]
    missing = api(admin_user).get("/api/v1/reports/period", {"start": "2025-13-01"})
    assert missing.status_code == 400
    assert {"unit", "start", "end"} <= set(missing.json()["error"]["fields"])
    json_rows = api(admin_user).get(
        "/api/v1/reports/period", {**p, "rows": "assessments", "format": "json"}
    )
    assert json_rows.status_code == 400 and "format" in json_rows.json()["error"]["fields"]
    csv_ok = api(admin_user).get("/api/v1/reports/period", {**p, "rows": "assessments"})
    assert csv_ok.status_code == 200 and exports.verify_csv(body(csv_ok))


def test_period_page_bad_input_shows_form_errors(client, admin_user, unit):
    client.force_login(admin_user)
    response = client.get(reverse("reports:period"), {"unit": str(unit.public_id), "start": "x"})
    assert response.status_code == 400
    assert b"Enter a valid date" in response.content


def test_stay_stats_in_sql_match_the_walk_over_every_assessment(unit, nurse):
    """The one-statement per-stay figures equal the row-by-row walk they replace, with
    entries in error between valid ones and rows before the period start."""
    import random

    from assessments.models import AssessmentStatus
    from reports.period import AdmissionStats
    from reports.period.rows import _walk
    from reports.period.stays import _stay_stats
    from tests.factories import make_admission

    rng = random.Random(12)
    now = timezone_now()
    period = week(unit, now)
    ids = []
    for bed in unit.beds.order_by("label")[:3]:
        admission = make_admission(unit, bed, by=nurse, admitted_at=now - dt.timedelta(days=10))
        ids.append(admission.pk)
        at = now - dt.timedelta(days=9)
        while at < now:
            a = make_assessment(
                admission,
                by=nurse,
                total=rng.randint(0, 60),
                assessed_at=at,
                next_due_minutes=rng.choice([60, 120, 240]),
            )
            if rng.random() < 0.15:
                Assessment.objects.filter(pk=a.pk).update(
                    status=AssessmentStatus.ENTERED_IN_ERROR, error_reason="test"
                )
            at += dt.timedelta(minutes=rng.choice([50, 110, 130, 250, 300]))
    expected = {pk: AdmissionStats() for pk in ids}
    for values, _due, on_time in _walk(period, ids):
        if values[1] < period.start or values[10] != AssessmentStatus.VALID:
            continue
        s = expected[values[0]]
        s.assessments += 1
        if values[4] is not None:
            s.peak = values[4] if s.peak is None else max(s.peak, values[4])
        if on_time is not None:
            s.due_checked += 1
            s.on_time += int(on_time)
    got = _stay_stats(period, ids)
    assert got == expected
    assert all(s.due_checked > s.on_time > 0 for s in got.values())


def timezone_now():
    from django.utils import timezone

    return timezone.now()
