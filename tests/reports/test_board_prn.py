"""The unit board shows as-needed (PRN) doses given in the last 24 hours (issue 15)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from medication.models import DoseStatus, FormularyItem, MedicationDose
from patients.models import Bed
from reports.selectors import board_rows
from tests.factories import make_admission, make_assessment
from tests.medication.conftest import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def diazepam(db):
    return FormularyItem.objects.create(
        name="Diazepam",
        agent="diazepam",
        form="5 mg tablets",
        is_benzodiazepine=True,
        sedating=True,
    )


@pytest.fixture
def melatonin(db):
    return FormularyItem.objects.create(name="Melatonin", agent="melatonin", form="2 mg tablets")


def given(order, nurse, hours_ago: float, *, mg: str = "5", **fields) -> MedicationDose:
    """A PRN dose record (test shortcut past the gates, which tests/medication covers)."""
    return MedicationDose.objects.create(
        order=order,
        outcome="given",
        mg=Decimal(mg),
        occurred_at=timezone.now() - dt.timedelta(hours=hours_ago),
        recorded_by=nurse,
        **fields,
    )


def patient_with_prn(unit, nurse, physician, item, label: str, doses: int = 2):
    bed = Bed.objects.create(unit=unit, label=label)
    admission = make_admission(
        unit, bed, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=2)
    )
    make_assessment(admission, by=nurse, total=12)
    order = place(physician, admission, item, signed_hours_ago=30)
    for n in range(doses):
        given(order, nurse, hours_ago=1 + 3 * n)
    return admission, order


def test_board_row_counts_prn_doses_of_the_last_24_hours(
    unit, nurse, physician, diazepam, melatonin
):
    admission, order = patient_with_prn(unit, nurse, physician, diazepam, "P1")
    given(order, nurse, hours_ago=25)  # outside the 24 hours
    given(order, nurse, hours_ago=2, status=DoseStatus.ENTERED_IN_ERROR, error_reason="wrong")
    other = place(physician, admission, melatonin, dose_mg=Decimal("2"), signed_hours_ago=30)
    given(other, nurse, hours_ago=4, mg="2")
    row = next(r for r in board_rows([unit]) if r.admission == admission)
    # mg per medicine, never added across medicines.
    assert row.prn_text == "PRN: Diazepam 2 (10 mg), Melatonin 1 (2 mg) in 24 h"


def test_refused_or_held_prn_is_not_counted_and_no_prn_shows_nothing(
    unit, nurse, physician, diazepam
):
    admission, order = patient_with_prn(unit, nurse, physician, diazepam, "P1", doses=0)
    MedicationDose.objects.create(
        order=order,
        outcome="refused",
        mg=Decimal("5"),
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        recorded_by=nurse,
        reason_text="declined",
    )
    row = next(r for r in board_rows([unit]) if r.admission == admission)
    assert row.prn_text == ""


def test_board_page_shows_prn_and_queries_do_not_grow(client, unit, nurse, physician, diazepam):
    client.force_login(nurse)
    patient_with_prn(unit, nurse, physician, diazepam, "P1")
    client.get(reverse("reports:board"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("reports:board"))
    assert "PRN: Diazepam 2 (10 mg) in 24 h" in response.content.decode()
    for n in range(2, 6):
        patient_with_prn(unit, nurse, physician, diazepam, f"P{n}", doses=3)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("reports:board"))
    html = response.content.decode()
    assert html.count("PRN: Diazepam 3 (15 mg) in 24 h") == 4
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    # The background refresh fragment shows it too.
    fragment = client.get(reverse("reports:board-rows")).content.decode()
    assert "PRN: Diazepam 2 (10 mg) in 24 h" in fragment
