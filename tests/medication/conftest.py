"""Fixtures for medication orders: a formulary, an admission, orders signed by the physician."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from medication import services
from medication.models import FormularyItem, MedicationOrder
from tests.conftest import PASSWORD
from tests.factories import make_admission


@pytest.fixture
def admission(unit, nurse):
    return make_admission(unit, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=1))


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
def chlordiazepoxide(db):
    return FormularyItem.objects.create(
        name="Chlordiazepoxide",
        agent="chlordiazepoxide",
        form="25 mg capsules",
        is_benzodiazepine=True,
        sedating=True,
    )


@pytest.fixture
def trazodone(db):
    return FormularyItem.objects.create(
        name="Trazodone", agent="trazodone", form="50 mg tablets", sedating=True
    )


def place(physician, admission, item, *, signed_hours_ago: float = 0, **kw):
    """Place and sign an order; ``signed_hours_ago`` moves its signature and start back in time
    (a test shortcut: the service only starts orders now)."""
    fields = {"kind": "prn", "dose_mg": Decimal("5"), "indication": "tremor, sweating"}
    fields.update(kw)
    if fields["kind"] == "prn":
        fields.setdefault("min_interval_minutes", 120)
    data = services.OrderInput(item=item, **fields)
    order = services.order_place(actor=physician, admission=admission, data=data, password=PASSWORD)
    if signed_hours_ago:
        when = timezone.now() - dt.timedelta(hours=signed_hours_ago)
        MedicationOrder.objects.filter(pk=order.pk).update(signed_at=when, starts_at=when)
        order.refresh_from_db()
    return order


@pytest.fixture
def prn_diazepam(physician, admission, diazepam):
    """The issue's order: diazepam 5 mg PRN, at least 2 h apart, at most 40 mg / 24 h."""
    return place(
        physician,
        admission,
        diazepam,
        max_mg_24h=Decimal("40"),
        signed_hours_ago=20,
    )
