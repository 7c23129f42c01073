"""A physician orders diazepam PRN and trazodone at night; a nurse is refused a PRN dose without
a recent CIWA-B, records it after one, and sees both medicines on one page. Screenshots."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from medication.models import FormularyItem, MedicationDose, MedicationOrder
from tests.browser.conftest import PHONE, screenshot
from tests.conftest import PASSWORD
from tests.factories import make_admission, make_assessment


@pytest.mark.django_db(transaction=True)
def test_prn_on_a_phone(page_factory, login, live_server, physician, nurse, unit):
    admission = make_admission(unit, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=1))
    diazepam = FormularyItem.objects.create(
        name="Diazepam", agent="diazepam", form="5 mg tablets", is_benzodiazepine=True
    )
    trazodone = FormularyItem.objects.create(
        name="Trazodone", agent="trazodone", form="50 mg tablets", sedating=True
    )
    doc = page_factory(viewport=PHONE)
    login(doc, physician.username)
    doc.goto(f"{live_server.url}/medication/admissions/{admission.public_id}/orders/new/")
    doc.select_option("#id_item", str(diazepam.pk))
    doc.check("input[name=kind][value=prn]")
    doc.fill("#id_dose_mg", "5")
    doc.fill("#id_indication", "tremor, sweating, anxiety")
    doc.fill("#id_min_interval_minutes", "120")
    doc.fill("#id_max_mg_24h", "40")
    doc.fill("#id_password", PASSWORD)
    doc.click("text=Sign the order")
    doc.wait_for_selector("#orders-h")
    doc.goto(f"{live_server.url}/medication/admissions/{admission.public_id}/orders/new/")
    doc.select_option("#id_item", str(trazodone.pk))
    doc.fill("#id_dose_mg", "50")
    doc.fill("#id_times", "21:00")
    doc.fill("#id_password", PASSWORD)
    doc.click("text=Sign the order")
    doc.wait_for_selector("#orders-h")
    assert MedicationOrder.objects.count() == 2

    page = page_factory(viewport=PHONE)
    login(page, nurse.username)
    page.goto(f"{live_server.url}/medication/admissions/{admission.public_id}/")
    page.click("text=Give 5 mg now")
    assert "record a CIWA-B now" in page.content()
    assert not MedicationDose.objects.exists()
    screenshot(page, "medication-prn-refused-phone")
    make_assessment(admission, by=nurse, assessed_at=timezone.now() - dt.timedelta(minutes=3))
    page.goto(f"{live_server.url}/medication/admissions/{admission.public_id}/")
    page.click("text=Give 5 mg now")
    page.wait_for_selector("text=Diazepam (as needed) 5 mg")
    assert MedicationDose.objects.count() == 1
    assert "Trazodone" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "medication-record-phone")
