"""PRN doses on the unit board and the CIWA-B timeline at 375 px (issue 15)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from medication.models import FormularyItem, MedicationDose
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, screenshot
from tests.factories import make_admission, make_assessment, make_patient
from tests.medication.conftest import place


@pytest.fixture
def prn_patient(unit, nurse, physician):
    now = timezone.now()
    admission = make_admission(
        unit,
        by=nurse,
        patient=make_patient(first_name="Pia", last_name="Prn"),
        admitted_at=now - dt.timedelta(days=1),
    )
    for hours, total in ((7, 30), (4, 24), (1, 14)):
        make_assessment(
            admission, by=nurse, total=total, assessed_at=now - dt.timedelta(hours=hours)
        )
    diazepam = FormularyItem.objects.create(
        name="Diazepam",
        agent="diazepam",
        form="5 mg tablets",
        is_benzodiazepine=True,
        sedating=True,
    )
    order = place(physician, admission, diazepam, signed_hours_ago=10)
    for hours in (5.5, 2.5):
        MedicationDose.objects.create(
            order=order,
            outcome="given",
            mg=Decimal("5"),
            occurred_at=now - dt.timedelta(hours=hours),
            recorded_by=nurse,
        )
    return admission


def test_board_and_timeline_show_prn_doses_on_a_phone(
    page_factory, login, live_server, nurse, prn_patient
):
    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    assert page.url.endswith("/reports/board/")
    row = page.locator("#board tbody tr[data-key]").first
    assert "PRN: Diazepam 2 (10 mg) in 24 h" in row.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "reports-board-prn-phone")
    assert_accessible(page)

    page.goto(f"{live_server.url}/assessments/admissions/{prn_patient.public_id}/timeline/")
    assert page.locator("svg .timeline-marker").count() == 2
    assert "as-needed Diazepam 5 mg given" in page.locator(".timeline-markers").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "timeline-prn-phone")
    assert_accessible(page)
