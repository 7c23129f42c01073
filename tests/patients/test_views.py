"""Intake pages: admit, list, detail, edit, transfer, discharge; access and query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cnt_detox.core.models import AuditEvent
from patients.models import Admission
from tests.factories import make_admission
from tests.patients.conftest import form_data, nothing_saved

pytestmark = pytest.mark.django_db


def test_nurse_admits_through_the_page_and_sees_the_results(client, nurse, bed):
    client.force_login(nurse)
    page = client.get(reverse("patients:admit"))
    assert page.status_code == 200
    assert b"Unit and bed" in page.content and b"alprazolam" in page.content
    response = client.post(reverse("patients:admit"), form_data(bed))
    assert response.status_code == 302, response.content.decode()[:3000]
    admission = Admission.objects.get()
    assert response["Location"] == reverse("patients:detail", args=[admission.public_id])
    detail = client.get(response["Location"]).content.decode()
    assert "100 mg" in detail
    assert "High dose" in detail
    assert "Expected" in detail
    assert "above 50 mg" in detail
    assert "Inpatient" in detail
    assert "(GMT)" not in detail  # zone names, not offsets in brackets
    assert admission.substances.count() == 2
    assert AuditEvent.objects.filter(action="admission.viewed").count() == 1


def test_admission_time_is_read_in_the_units_zone(client, nurse, bed):
    client.force_login(nurse)
    data = form_data(bed, admitted_at="2025-07-01T09:30")
    client.post(reverse("patients:admit"), data)
    admission = Admission.objects.get()
    # Europe/London is on BST (UTC+1) in July.
    assert admission.admitted_at == dt.datetime(2025, 7, 1, 8, 30, tzinfo=dt.UTC)


def test_bad_dose_shows_form_error_and_saves_nothing(client, nurse, bed):
    client.force_login(nurse)
    rows = [{"agent": "diazepam", "daily_dose_mg": "2000", "duration_months": "3"}]
    response = client.post(reverse("patients:admit"), form_data(bed, rows=rows))
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 1000" in response.content.decode()
    assert nothing_saved()


def test_service_errors_land_beside_the_fields(client, nurse, bed):
    client.force_login(nurse)
    future = (timezone.now() + dt.timedelta(hours=3)).astimezone(bed.unit.tz)
    rows = [
        {
            "agent": "diazepam",
            "daily_dose_mg": "10",
            "duration_months": "3",
            "last_dose_at": future.strftime("%Y-%m-%dT%H:%M"),
        }
    ]
    response = client.post(reverse("patients:admit"), form_data(bed, rows=rows))
    assert response.status_code == 400
    assert "The last dose cannot be in the future." in response.content.decode()
    assert nothing_saved()


def test_occupied_bed_and_duplicate_mrn_on_the_page(client, nurse, bed, unit):
    client.force_login(nurse)
    existing = make_admission(unit, bed)
    other_bed = unit.beds.order_by("label")[1]
    response = client.post(
        reverse("patients:admit"), form_data(other_bed, mrn=existing.patient.mrn)
    )
    assert response.status_code == 400
    assert "different name or date of birth" in response.content.decode()
    response = client.post(reverse("patients:admit"), form_data(bed))
    assert response.status_code == 400  # the occupied bed is not even offered
    assert Admission.objects.count() == 1


def test_other_units_patient_is_404_and_admin_is_403(client, nurse, other_nurse, admin_user, unit):
    admission = make_admission(unit, by=nurse)
    client.force_login(other_nurse)
    for name in ("detail", "edit", "transfer", "discharge"):
        url = reverse(f"patients:{name}", args=[admission.public_id])
        assert client.get(url).status_code == 404, name
    client.force_login(admin_user)
    for url in (
        reverse("patients:list"),
        reverse("patients:admit"),
        reverse("patients:detail", args=[admission.public_id]),
    ):
        assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="admission.viewed").exists()


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("patients:list")).status_code == 200
    return len(ctx.captured_queries)


def test_list_page_query_count_is_constant_and_audited_once(client, nurse, unit):
    client.force_login(nurse)
    for _ in range(2):
        make_admission(unit, by=nurse)
    few = _list_queries(client)
    for _ in range(2):
        make_admission(unit, by=nurse)
    many = _list_queries(client)
    assert few == many
    response = client.get(reverse("patients:list"))
    content = response.content.decode()
    assert content.count('data-label="Bed"') == 4
    events = AuditEvent.objects.filter(action="admission.listed").order_by("-id")
    assert len(events[0].details["shown"]) == 4


def test_list_filters_by_unit(client, nurse, unit, other_unit):
    nurse.units.add(other_unit)
    make_admission(unit, by=nurse)
    make_admission(other_unit, by=nurse)
    client.force_login(nurse)
    response = client.get(reverse("patients:list") + f"?unit={other_unit.public_id}")
    assert response.content.decode().count('data-label="Bed"') == 1


def test_edit_page_recomputes_and_audits(client, nurse, unit):
    admission = make_admission(unit, by=nurse)
    client.force_login(nurse)
    url = reverse("patients:edit", args=[admission.public_id])
    assert client.get(url).status_code == 200
    data = form_data(
        admission.bed, rows=[{"agent": "diazepam", "daily_dose_mg": "30", "duration_months": "12"}]
    )
    data.update(
        first_name=admission.patient.first_name,
        last_name=admission.patient.last_name,
        date_of_birth=str(admission.patient.date_of_birth),
        admitted_at=admission.admitted_at.astimezone(unit.tz).strftime("%Y-%m-%dT%H:%M"),
        epilepsy="on",
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    admission.refresh_from_db()
    assert admission.diazepam_equivalent_mg == Decimal("30")
    assert admission.epilepsy is True
    event = AuditEvent.objects.get(action="admission.updated")
    assert event.changes["epilepsy"] == {"old": False, "new": True}


def test_transfer_and_discharge_pages(client, nurse, unit):
    admission = make_admission(unit, by=nurse)
    client.force_login(nurse)
    target = unit.beds.order_by("label")[3]
    url = reverse("patients:transfer", args=[admission.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"bed": str(target.public_id), "reason": "Window bed"})
    assert response.status_code == 302
    admission.refresh_from_db()
    assert admission.bed == target and admission.movements.count() == 2
    url = reverse("patients:discharge", args=[admission.public_id])
    assert client.get(url).status_code == 200
    early = (admission.admitted_at - dt.timedelta(days=1)).astimezone(unit.tz)
    response = client.post(
        url, {"discharged_at": early.strftime("%Y-%m-%dT%H:%M"), "reason": "done"}
    )
    assert response.status_code == 400
    assert "before the admission" in response.content.decode()
    now = timezone.now().astimezone(unit.tz)
    response = client.post(url, {"discharged_at": now.strftime("%Y-%m-%dT%H:%M"), "reason": "done"})
    assert response.status_code == 302
    admission.refresh_from_db()
    assert admission.status == "discharged"


def test_detail_shows_no_conversion_for_other_agent(client, nurse, unit):
    admission = make_admission(unit, by=nurse, substances=(("diazepam", "10"),))
    admission.substances.create(
        agent="other", other_agent_text="etizolam", daily_dose_mg=2, duration_months=1
    )
    client.force_login(nurse)
    content = client.get(reverse("patients:detail", args=[admission.public_id])).content.decode()
    assert "no conversion: titrate to the lowest dose that controls withdrawal" in content
    assert "Etizolam" in content or "etizolam" in content


def test_unknown_agent_page_says_unknown_not_low_dose(client, nurse, bed):
    # Issue 20 item 1.
    client.force_login(nurse)
    rows = [
        {
            "agent": "other",
            "other_agent_text": "etizolam",
            "daily_dose_mg": "2",
            "duration_months": "18",
        }
    ]
    response = client.post(reverse("patients:admit"), form_data(bed, rows=rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    detail = client.get(response["Location"]).content.decode()
    assert "unknown: not converted" in detail
    assert "Low dose" not in detail
    assert "0 mg" not in detail
    assert "Daily dose unknown: etizolam not converted" in detail
    assert "None (dose unknown)" in detail
    assert "Outpatient" not in detail
    listing = client.get(reverse("patients:list")).content.decode()
    assert "unknown: not converted" in listing


def test_mixed_known_and_unknown_page_says_at_least(client, nurse, bed):
    client.force_login(nurse)
    rows = [
        {"agent": "diazepam", "daily_dose_mg": "12", "duration_months": "18"},
        {
            "agent": "other",
            "other_agent_text": "etizolam",
            "daily_dose_mg": "2",
            "duration_months": "18",
        },
    ]
    response = client.post(reverse("patients:admit"), form_data(bed, rows=rows))
    detail = client.get(response["Location"]).content.decode()
    assert "at least 12 mg" in detail
