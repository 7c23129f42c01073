"""Issue 20 items 1-8 at 375 px: unknown dose, new admission first on the board, day-1 test
dose on Today's doses, one escalation in words with links. Screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from tests.browser.conftest import PHONE, screenshot


def _admit(nurse, unit, mrn, rows, bed_label):
    from patients import services

    return services.admission_create(
        actor=nurse,
        patient={
            "mrn": mrn,
            "first_name": "Robin",
            "last_name": mrn,
            "date_of_birth": dt.date(1975, 5, 5),
            "sex": "female",
        },
        unit_id=unit.public_id,
        bed_id=unit.beds.get(label=bed_label).public_id,
        admitted_at=timezone.now() - dt.timedelta(days=1),
        substances=[
            {
                "agent": a,
                "other_agent_text": "etizolam" if a == "other" else "",
                "daily_dose_mg": Decimal(d),
                "days_per_week": 7,
                "duration_months": Decimal("12"),
            }
            for a, d in rows
        ],
    )


def test_edges_on_a_phone(page_factory, login, live_server, unit, nurse, physician, monkeypatch):
    from assessments import services as assessment_services
    from assessments.inputs import AssessmentInput
    from notifications.models import UnitOnCall
    from notifications.services import sweep
    from tapering import services as taper
    from tests.factories import items_for_total
    from tests.tapering.conftest import sign_before_first_dose

    UnitOnCall.objects.create(unit=unit, on_call_physician=physician, charge_nurse=nurse)
    unknown = _admit(nurse, unit, "EDGE1", [("other", "2")], "B1")
    known = _admit(nurse, unit, "EDGE2", [("diazepam", "40")], "B2")
    assessment_services.assessment_create(
        admission=known,
        actor=nurse,
        entry=AssessmentInput(items=items_for_total(45), seizure=True, sedation_level=0),
        idempotency_key=uuid.uuid4(),
    )
    data = {
        "agents": [{"agent": "diazepam", "daily_dose_mg": "40"}],
        "strategy": "inpatient",
        "params": {},
        "start_date": unit.local_now().date().isoformat(),
    }
    draft = taper.plan_create_draft(admission=known, actor=physician, data=data)
    sign_before_first_dose(monkeypatch, draft, physician)
    sweep()

    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    page.goto(f"{live_server.url}/patients/{unknown.public_id}/")
    assert "unknown: not converted" in page.content()
    assert "Low dose" not in page.content()
    screenshot(page, "edges-unknown-dose-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto(f"{live_server.url}" + reverse("reports:board"))
    screenshot(page, "edges-board-phone")
    assert "First CIWA-B (admission)" in page.content()

    page.goto(f"{live_server.url}" + reverse("tapering:today", args=[known.public_id]))
    assert "test tolerance" in page.content()
    screenshot(page, "edges-today-day1-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto(f"{live_server.url}" + reverse("notifications:list"))
    assert "Seizure since last check" in page.content()
    screenshot(page, "edges-notifications-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name="See the assessment").first.click()
    page.wait_for_load_state("networkidle")
    assert "/assessments/" in page.url
