"""The four bedside screens at 375 px (issues 19 and 20): the board, today's doses, the
notifications and a printout. Each is screenshotted to test-artifacts/bedside-*-375.png,
checked with axe-core, and has no sideways scroll."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments.models import AssessmentFlag
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, screenshot
from tests.conftest import PASSWORD
from tests.factories import make_admission, make_assessment, make_patient

FLAGS = [
    ("high", "Daily dose 100.00 mg diazepam equivalent, above 50 mg."),
    ("elevated", "Daily dose above 15 mg diazepam equivalent."),
    ("high", "Seizures in a previous withdrawal."),
    ("elevated", "Age 68: higher risk of confusion or delirium in withdrawal."),
    ("elevated", "Alcohol dependence: higher risk of seizures in withdrawal."),
    ("high", "History of psychosis or delirium in a previous withdrawal."),
]


@pytest.mark.django_db(transaction=True)
def test_bedside_screens_at_375(page_factory, login, live_server, unit, nurse, physician):
    from notifications.models import UnitOnCall
    from tapering import services

    UnitOnCall.objects.create(unit=unit, on_call_physician=physician, charge_nurse=nurse)
    now = timezone.now()
    busy = make_admission(
        unit,
        by=nurse,
        patient=make_patient(first_name="Maximiliana", last_name="Wolfeschlegelsteinhausenberger"),
    )
    make_assessment(
        busy, by=nurse, total=45, assessed_at=now - dt.timedelta(minutes=50), next_due_minutes=10
    )
    for level, reason in FLAGS:
        AssessmentFlag.objects.create(
            admission=busy, code=reason[:20], level=level, reason=reason, source="risk.md"
        )
    calm = make_admission(unit, by=nurse, patient=make_patient(first_name="Ben", last_name="Calm"))
    make_assessment(calm, by=nurse, total=6, assessed_at=now - dt.timedelta(minutes=30))
    data = {
        "agents": [
            {"agent": "alprazolam", "daily_dose_mg": "4"},
            {"agent": "lorazepam", "daily_dose_mg": "2"},
        ],
        "target_agent": "diazepam",
        "strategy": "inpatient",
        "start_date": unit.local_now().date().isoformat(),
    }
    plan = services.plan_create_draft(admission=busy, actor=physician, data=data)
    services.plan_sign(plan=plan, actor=physician, password=PASSWORD, expected_version=1)
    call_command("sweep_reminders")

    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    screens = [
        ("board", "/reports/board/"),
        ("doses", f"/tapering/admissions/{busy.public_id}/today/"),
        ("notifications", "/notifications/"),
        ("printout", f"/tapering/plans/{plan.public_id}/print/"),
    ]
    for name, path in screens:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        if name == "printout":
            page.emulate_media(media="print")
        screenshot(page, f"bedside-{name}-375")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        if name != "printout":
            assert_accessible(page)
        page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/reports/board/")
    assert "+3 more" in page.locator("#board").inner_text()
