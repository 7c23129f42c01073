"""Medication pages and API: the one dose record, forbidden paths, field errors, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from medication.models import MedicationDose, MedicationOrder
from tests.conftest import PASSWORD
from tests.factories import make_admission, make_assessment
from tests.medication.conftest import place

pytestmark = pytest.mark.django_db


def test_record_page_shows_orders_total_and_gate_refusal(client, nurse, admission, prn_diazepam):
    client.force_login(nurse)
    url = reverse("medication:record", args=[admission.public_id])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Diazepam 5 mg oral, as needed: tremor, sweating" in html
    assert "Benzodiazepine in the last 24 hours: 0 mg" in html
    assert "Order a medicine" not in html  # nurses do not order
    refused = client.post(
        reverse("medication:dose_record", args=[prn_diazepam.public_id]), {"outcome": "given"}
    )
    assert refused.status_code == 400
    assert "record a CIWA-B now" in refused.content.decode()
    assert not MedicationDose.objects.exists()
    make_assessment(admission, by=nurse, assessed_at=timezone.now() - dt.timedelta(minutes=5))
    given = client.post(
        reverse("medication:dose_record", args=[prn_diazepam.public_id]), {"outcome": "given"}
    )
    assert given.status_code == 302  # post/redirect/get
    html = client.get(url).content.decode()
    assert "Diazepam (as needed) 5 mg" in html
    assert "24-hour total then 5 mg" in html


def test_record_page_queries_do_not_grow_with_doses(client, nurse, admission, physician, diazepam):
    client.force_login(nurse)
    url = reverse("medication:record", args=[admission.public_id])
    make_assessment(admission, by=nurse, assessed_at=timezone.now() - dt.timedelta(minutes=5))
    order = place(physician, admission, diazepam, min_interval_minutes=15, signed_hours_ago=5)
    MedicationOrder.objects.filter(pk=order.pk).update(min_interval_minutes=15)
    from medication import services

    services.dose_record(actor=nurse, order=order)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for minutes in (40, 80, 120):
        make_assessment(
            admission, by=nurse, assessed_at=timezone.now() - dt.timedelta(minutes=minutes + 3)
        )
        services.dose_record(
            actor=nurse, order=order, occurred_at=timezone.now() - dt.timedelta(minutes=minutes)
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one), "\n".join(q["sql"][:100] for q in many)


def test_physician_orders_on_the_page_with_field_errors(client, physician, admission, trazodone):
    client.force_login(physician)
    url = reverse("medication:order_new", args=[admission.public_id])
    bad = client.post(
        url,
        {
            "item": trazodone.pk,
            "kind": "scheduled",
            "dose_mg": "50",
            "route": "oral",
            "times": "",
            "password": PASSWORD,
        },
    )
    assert bad.status_code == 400
    assert "Give at least one time of day" in bad.content.decode()
    ok = client.post(
        url,
        {
            "item": trazodone.pk,
            "kind": "scheduled",
            "dose_mg": "50",
            "route": "oral",
            "times": "21:00",
            "password": PASSWORD,
        },
    )
    assert ok.status_code == 302
    assert MedicationOrder.objects.get().times == ["21:00"]


def test_nurse_cannot_open_order_form_and_other_unit_is_404(
    client, nurse, other_physician, admission, prn_diazepam
):
    client.force_login(nurse)
    assert (
        client.get(reverse("medication:order_new", args=[admission.public_id])).status_code == 403
    )
    client.force_login(other_physician)
    assert client.get(reverse("medication:record", args=[admission.public_id])).status_code == 404
    assert (
        client.post(
            reverse("medication:dose_record", args=[prn_diazepam.public_id]), {"outcome": "given"}
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("medication:order_change", args=[prn_diazepam.public_id])).status_code
        == 404
    )


def test_api_order_and_prn_dose(api, physician, nurse, admin_user, admission, diazepam):
    url = reverse("api-medication-orders", args=[admission.public_id])
    body = {
        "item": "Diazepam",
        "kind": "prn",
        "dose_mg": "5",
        "indication": "tremor",
        "min_interval_minutes": 120,
        "max_mg_24h": "40",
        "password": PASSWORD,
    }
    assert api(nurse).post(url, body, format="json").status_code == 403
    bad = api(physician).post(url, {**body, "dose_mg": "0"}, format="json")
    assert bad.status_code == 400 and "dose_mg" in bad.json()["error"]["fields"]
    created = api(physician).post(url, body, format="json")
    assert created.status_code == 201, created.json()
    order_id = created.json()["id"]
    assert created.json()["ciwa_within_minutes"] == 60
    doses = reverse("api-medication-doses", args=[order_id])
    refused = api(nurse).post(doses, {}, format="json")
    assert refused.status_code == 400 and "gate" in refused.json()["error"]["fields"]
    make_assessment(admission, by=nurse, assessed_at=timezone.now() - dt.timedelta(minutes=1))
    given = api(nurse).post(doses, {}, format="json")
    assert given.status_code == 201 and Decimal(given.json()["total_24h_diazepam_mg"]) == 5
    assert api(admin_user).post(doses, {}, format="json").status_code == 403
    record = api(nurse).get(reverse("api-medication-record", args=[admission.public_id]))
    assert record.status_code == 200 and Decimal(record.json()["total_24h_now"]) == 5


def test_api_other_unit_is_404(api, other_physician, other_nurse, admission, prn_diazepam):
    assert (
        api(other_physician)
        .get(reverse("api-medication-orders", args=[admission.public_id]))
        .status_code
        == 404
    )
    assert (
        api(other_nurse)
        .post(reverse("api-medication-doses", args=[prn_diazepam.public_id]), {}, format="json")
        .status_code
        == 404
    )


def test_discharged_patient_refuses_dose(client, nurse, unit, physician, diazepam):
    admission = make_admission(unit, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=1))
    order = place(physician, admission, diazepam)
    from patients.services import admission_discharge

    admission_discharge(
        actor=nurse, admission=admission, discharged_at=timezone.now(), reason="home"
    )
    client.force_login(nurse)
    response = client.post(
        reverse("medication:dose_record", args=[order.public_id]), {"outcome": "given"}
    )
    assert response.status_code in (400, 404)
    assert not MedicationDose.objects.exists()
