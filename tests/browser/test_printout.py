"""Issue 20 item 13: a printed plan carries the patient and "Page N of M" on every page, and a
superseded version says so."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tapering.models import PlanStatus
from tests.browser.conftest import ARTIFACTS, PHONE, screenshot
from tests.conftest import PASSWORD
from tests.factories import make_admission, make_patient


@pytest.mark.django_db(transaction=True)
def test_superseded_plan_prints_banner_and_patient_on_every_page(
    page_factory, login, live_server, physician, nurse, unit
):
    from tapering import services

    patient = make_patient(first_name="Paige", last_name="Printer")
    admission = make_admission(unit, by=nurse, patient=patient)
    data = {
        "agents": [
            {"agent": "alprazolam", "daily_dose_mg": "4"},
            {"agent": "lorazepam", "daily_dose_mg": "2"},
        ],
        "target_agent": "diazepam",
        "strategy": "inpatient",
        "start_date": unit.local_now().date().isoformat(),
    }
    first = services.plan_create_draft(admission=admission, actor=physician, data=data)
    services.plan_sign(plan=first, actor=physician, password=PASSWORD, expected_version=1)
    amendment = services.plan_amend(plan=first, actor=physician, reason="Slower taper")
    services.plan_sign(
        plan=amendment,
        actor=physician,
        password=PASSWORD,
        expected_version=amendment.lock_version,
    )
    first.refresh_from_db()
    assert first.status == PlanStatus.SUPERSEDED

    page = page_factory(viewport=PHONE)
    login(page, physician.username)
    page.goto(f"{live_server.url}/tapering/plans/{first.public_id}/print/")
    banner = page.locator(".superseded-mark")
    assert f"SUPERSEDED by version {amendment.version} on" in banner.inner_text()
    page.emulate_media(media="print")
    screenshot(page, "taper-print-superseded-phone")
    pdf = page.pdf(format="A4", print_background=False)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "taper-print-superseded.pdf").write_bytes(pdf)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 2, "the test plan should need more than one page"
    born = f"born {patient.date_of_birth:%d %b %Y}"
    for number, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        assert "Paige Printer" in flat, number
        assert f"MRN {patient.mrn}" in flat, number
        assert born in flat, number
        assert f"Page {number} of {len(pages)}" in flat, number
    assert "SUPERSEDED by version" in " ".join(pages[0].split())
