"""The patient's plain-language copy on a phone (375 px) through its link, the staff print
view, and the summary page; screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from aftercare import services
from aftercare.models import PatientLink, SupportGroup
from tests.aftercare.conftest import active
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, screenshot
from tests.conftest import PASSWORD
from tests.factories import make_admission


def _discharged_with_summary(unit, nurse, physician):
    admission = make_admission(unit, by=nurse, substances=(("diazepam", "20"),))
    active(
        admission,
        physician,
        agents=[{"agent": "diazepam", "daily_dose_mg": "20"}],
        strategy="outpatient",
        params={"percent": "25", "every_days": "14"},
    )
    group = SupportGroup.objects.create(name="SMART Recovery", meetings="Tuesdays 7 pm")
    services.aftercare_plan_save(
        actor=nurse,
        admission=admission,
        data={
            "level_of_care": "outpatient",
            "level_reason": "Stable",
            "support_groups": [group.pk],
            "people_to_call": "My sister Ann",
            "coping_strategies": "Walk the dog",
        },
    )
    services.follow_up_create(
        actor=nurse,
        admission=admission,
        scheduled_at=timezone.now() + dt.timedelta(days=7),
        with_whom="Dr Lee",
        mode="telehealth",
    )
    services.discharge(
        actor=physician,
        admission=admission,
        discharged_at=timezone.now(),
        reason="Taper continues at home",
        acknowledge_warnings=True,
    )
    services.summary_sign(actor=physician, admission=admission, password=PASSWORD)
    return admission


@pytest.mark.django_db(transaction=True)
def test_patient_copy_on_a_phone_then_expired(page_factory, live_server, unit, nurse, physician):
    admission = _discharged_with_summary(unit, nurse, physician)
    link, token = services.patient_link_create(actor=nurse, admission=admission)
    page = page_factory(viewport=PHONE)
    page.goto(f"{live_server.url}/my-plan/{token}/")
    text = page.inner_text("body")
    assert admission.patient.full_name in text
    assert "Get help straight away" in text
    assert "Morning:" in text and "Evening:" in text
    assert "Dr Lee" in text and "SMART Recovery" in text
    for jargon in ("QID", "PRN", "BID", "mg/day"):
        assert jargon not in text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    screenshot(page, "aftercare-patient-copy-phone")

    PatientLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    page.goto(f"{live_server.url}/my-plan/{token}/")
    gone = page.inner_text("body")
    assert admission.patient.full_name not in gone and "Morning" not in gone
    screenshot(page, "aftercare-patient-link-expired-phone")


@pytest.mark.django_db(transaction=True)
def test_summary_and_stay_pages_on_a_phone(
    page_factory, login, live_server, unit, nurse, physician
):
    admission = _discharged_with_summary(unit, nurse, physician)
    page = page_factory(viewport=PHONE)
    login(page, physician.username)
    page.goto(f"{live_server.url}/aftercare/admissions/{admission.public_id}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    screenshot(page, "aftercare-stay-phone")
    page.click("text=Open")
    page.wait_for_selector("#summary-digest")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    screenshot(page, "aftercare-summary-phone")
