import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cnt_detox.core.middleware import LAST_ACTIVITY_KEY
from cnt_detox.core.models import AuditEvent
from patients.models import Bed
from reports.selectors import AdmissionLinks, board_rows
from tests.factories import make_admission, make_assessment

pytestmark = pytest.mark.django_db


def rows_for(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("reports:board"), params)
    assert response.status_code == 200
    return response


def test_board_rows_columns_and_order(seeded, unit):
    rows = board_rows([unit], seeded.now)
    assert [r.admission for r in rows] == [seeded.critical, seeded.transferred]
    critical, transferred = rows
    zone = seeded.now.astimezone(unit.tz).strftime("%Z")

    assert critical.urgency_label == "Needs attention now"
    assert critical.overdue is True
    assert critical.due_text.startswith("Overdue by 4 h (was due ")
    assert critical.due_text.endswith(f"{zone})")
    assert (critical.last_total, critical.last_band_label) == (25, "Moderate")
    assert critical.peak_24h == 25
    assert [f["level"] for f in critical.flags] == ["critical", "elevated"]
    assert critical.flags[0]["text"] == "Confusion or disorientation"
    assert [e["kind"] for e in critical.escalations] == ["Critical flag"]
    assert critical.age == seeded.critical.patient.age_on(seeded.now.astimezone(unit.tz).date())
    assert critical.agent == "Alprazolam"
    assert critical.dose_mg == seeded.critical.diazepam_equivalent_mg
    assert critical.plan_label == "No plan"

    assert transferred.admission.bed.label == "B2"
    assert transferred.overdue is False
    assert transferred.due_text.startswith("Due ") and "(in 2 h)" in transferred.due_text
    assert (transferred.last_total, transferred.last_band_label) == (12, "Mild")
    assert transferred.peak_24h == 45  # the severe score 20 h ago is within 24 h
    assert transferred.escalations == []  # acknowledged ones are not shown
    assert transferred.day_of_stay == seeded.transferred.day_of_stay(seeded.now)
    assert transferred.urgency_label == "Routine"


def test_board_page_shows_words_not_only_colour(client, nurse, seeded):
    html = rows_for(client, nurse).content.decode()
    assert "Overdue by 4 h" in html
    assert "25 Moderate" in html
    assert "Critical: Confusion or disorientation" in html
    assert "Not acknowledged: Critical flag" in html
    assert seeded.discharged.patient.full_name not in html
    assert 'href="/reports/board/"' in html or "Refresh" in html
    assert "js/board.js" in html and "<script>" not in html


def test_taper_columns_come_from_tapering_selectors(monkeypatch, seeded, unit):
    from tapering import selectors as tapering_selectors

    def board_plan_info(admission_ids, on_date_by_admission):
        # Each admission's day is the unit-local date.
        assert all(isinstance(d, dt.date) for d in on_date_by_admission.values())
        return {
            seeded.critical.pk: {"status": "active", "today_mg": Decimal("25"), "agent": "diazepam"}
        }

    monkeypatch.setattr(tapering_selectors, "board_plan_info", board_plan_info)
    rows = {r.admission.pk: r for r in board_rows([unit], seeded.now)}
    assert rows[seeded.critical.pk].plan_label == "Active"
    assert rows[seeded.critical.pk].today_mg == Decimal("25")
    assert rows[seeded.transferred.pk].plan_label == "—"


def test_taper_column_is_for_the_units_date_not_the_utc_date(monkeypatch, seeded, unit):
    from tapering import selectors as tapering_selectors

    days = {}

    def board_plan_info(admission_ids, on_date_by_admission):
        days.update(on_date_by_admission)
        return {}

    monkeypatch.setattr(tapering_selectors, "board_plan_info", board_plan_info)
    unit.time_zone = "Europe/London"
    unit.save()
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST).
    board_rows([unit], dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC))
    assert days and set(days.values()) == {dt.date(2026, 7, 2)}


def test_admin_gets_403_and_anonymous_goes_to_login(client, admin_user, seeded):
    client.force_login(admin_user)
    assert client.get(reverse("reports:board")).status_code == 403
    assert client.get(reverse("reports:board-rows")).status_code == 403
    client.logout()
    assert client.get(reverse("reports:board")).status_code == 302


def test_other_unit_nurse_sees_nothing_of_ward_1(client, other_nurse, seeded, unit):
    html = rows_for(client, other_nurse).content.decode()
    assert seeded.critical.patient.full_name not in html
    assert seeded.transferred.patient.full_name not in html
    response = client.get(reverse("reports:board"), {"unit": str(unit.public_id)})
    assert response.status_code == 404


def test_one_audit_row_per_view_and_per_refresh(client, nurse, seeded):
    rows_for(client, nurse)
    event = AuditEvent.objects.get(action="board.viewed")
    assert set(event.details["admissions"]) == {
        str(seeded.critical.public_id),
        str(seeded.transferred.public_id),
    }
    before = client.session.get(LAST_ACTIVITY_KEY)
    response = client.get(reverse("reports:board-rows"), headers={"X-Background-Poll": "1"})
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith("<tbody")
    assert AuditEvent.objects.filter(action="board.refreshed").count() == 1
    assert client.session.get(LAST_ACTIVITY_KEY) == before  # a poll is not activity


def _fill(unit, nurse, count, start=0):
    for n in range(start, start + count):
        bed = Bed.objects.create(unit=unit, label=f"X{n:02d}")
        admission = make_admission(unit, bed, by=nurse)
        make_assessment(admission, by=nurse, total=5 + n)


def test_board_query_count_does_not_grow_with_patients(client, nurse, unit):
    client.force_login(nurse)
    _fill(unit, nurse, 2)
    client.get(reverse("reports:board"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("reports:board")).status_code == 200
    _fill(unit, nurse, 12, start=2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("reports:board"))
    assert response.content.decode().count("<tr data-key") == 14
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


SIX_FLAGS = [
    ("elevated", "dose_above_15", "Daily dose above 15 mg diazepam equivalent."),
    ("high", "dose_above_50", "Daily dose above 50 mg diazepam equivalent."),
    ("elevated", "age_65", "Age 65 or over."),
    ("high", "history_seizures", "Seizures in a previous withdrawal."),
    ("elevated", "co_use", "Alcohol dependence: higher risk of seizures in withdrawal."),
    ("high", "history_psychosis", "History of psychosis or delirium in a previous withdrawal."),
]


def test_board_shows_the_most_severe_flags_first_and_folds_the_rest(client, nurse, unit):
    """Issue 19 item 6: six flags in a row; the board shows three and "+3 more", the patient
    page lists all six."""
    from assessments.models import AssessmentFlag

    admission = make_admission(unit, by=nurse)
    admission.intake_flags = [
        {"code": code, "level": level, "reason": reason, "source": "risk.md"}
        for level, code, reason in SIX_FLAGS
    ]
    admission.save(update_fields=["intake_flags"])
    for level, code, reason in SIX_FLAGS:
        AssessmentFlag.objects.create(
            admission=admission, code=code, level=level, reason=reason, source="risk.md"
        )
    (row,) = board_rows([unit])
    assert [f["level"] for f in row.flags_shown] == ["high", "high", "high"]
    assert len(row.flags_folded) == 3
    html = rows_for(client, nurse).content.decode()
    cell = html.split('data-label="Flags, escalations"')[1].split("</td>")[0]
    assert "+3 more" in cell
    assert cell.index("above 50 mg") < cell.index("<details")
    assert cell.index("above 15 mg") > cell.index("<summary")
    page = client.get(reverse("patients:detail", args=[admission.public_id])).content.decode()
    for _, _, reason in SIX_FLAGS:
        assert reason in page


def test_new_admission_is_due_at_admission_and_first_on_the_board(client, nurse, unit):
    # Issue 20 item 4: a new admission showed "No CIWA-B scheduled" and sorted last.
    from django.utils import timezone

    from patients import services

    now = timezone.now()
    earlier = make_admission(unit, by=nurse, admitted_at=now - dt.timedelta(days=1))
    make_assessment(earlier, by=nurse, total=12, assessed_at=now - dt.timedelta(hours=1))
    new = services.admission_create(
        actor=nurse,
        patient={
            "mrn": "NEW1",
            "first_name": "Nia",
            "last_name": "Lewis",
            "date_of_birth": dt.date(1980, 1, 1),
            "sex": "female",
        },
        unit_id=unit.public_id,
        bed_id=unit.beds.get(label="B3").public_id,
        admitted_at=now - dt.timedelta(minutes=5),
        substances=[
            {
                "agent": "diazepam",
                "daily_dose_mg": Decimal("20"),
                "days_per_week": 7,
                "duration_months": Decimal("12"),
            }
        ],
    )
    rows = board_rows([unit], now)
    assert rows[0].admission == new
    assert rows[0].due_text.startswith("First CIWA-B (admission): Overdue by 5 min")
    html = rows_for(client, nurse).content.decode()
    assert "No CIWA-B scheduled" not in html
    assert "First CIWA-B (admission)" in html


def test_board_of_one_unit_costs_at_most_ten_queries(client, nurse, unit):
    """Issue 12: session, user, units, admissions, assessments, flags, escalations, plans,
    the audit row and the bell count; the ?unit= filter adds none."""
    client.force_login(nurse)
    _fill(unit, nurse, 5)
    url = reverse("reports:board") + f"?unit={unit.public_id}"
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= 10, [q["sql"][:100] for q in queries.captured_queries]


def test_board_of_another_unit_is_404(client, nurse, other_unit):
    client.force_login(nurse)
    assert client.get(reverse("reports:board") + f"?unit={other_unit.public_id}").status_code == 404


def test_row_links_are_what_reverse_gives():
    """AdmissionLinks reverses once per page name and puts each admission's id in."""
    links = AdmissionLinks()
    for public_id in (uuid.uuid4(), uuid.uuid4()):
        for name in ("patients:detail", "assessments:new", "tapering:today"):
            assert links(name, public_id) == reverse(name, args=[public_id])
