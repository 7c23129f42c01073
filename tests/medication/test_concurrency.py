"""Two nurses recording PRN doses at the same moment cannot together pass the 24-hour ceiling."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from medication import services
from medication.models import MedicationDose
from tests.factories import make_assessment
from tests.medication.conftest import place


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_prn_doses_stop_at_the_ceiling(
    make_user, unit, nurse, physician, admission, diazepam
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    # Two PRN orders of 20 mg (diazepam), 15 min apart allowed, ceiling 35 mg: either dose fits
    # alone, both together (40 mg) do not.
    second_item = diazepam.__class__.objects.create(
        name="Diazepam 10", agent="diazepam", form="10 mg tablets", is_benzodiazepine=True
    )
    orders = [
        place(
            physician,
            admission,
            item,
            dose_mg=Decimal(20),
            min_interval_minutes=15,
            max_mg_24h=Decimal(35),
            signed_hours_ago=2,
        )
        for item in (diazepam, second_item)
    ]
    make_assessment(admission, by=nurse, assessed_at=timezone.now() - dt.timedelta(minutes=2))
    nurse2 = make_user("nurse3", "nurse", unit)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def give(user, order) -> None:
        try:
            start.wait()
            services.dose_record(actor=user, order=order)
            outcomes.append("given")
        except services.GateRefused as refused:
            outcomes.append(",".join(refused.result.codes))
        except BaseException as exc:  # reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=give, args=(nurse, orders[0])),
        threading.Thread(target=give, args=(nurse2, orders[1])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ceiling", "given"]
    assert MedicationDose.objects.count() == 1
