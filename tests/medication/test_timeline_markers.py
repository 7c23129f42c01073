"""PRN benzodiazepine doses as labelled markers on the CIWA-B chart, through the core registry
(assessments may not import medication; issue 15 item 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.timeline_svg import ciwa_chart
from cnt_detox.core import registry
from medication.models import DoseStatus, FormularyItem, MedicationDose
from tests.factories import make_assessment
from tests.medication.conftest import place

pytestmark = pytest.mark.django_db


def given(order, nurse, hours_ago: float, **fields) -> MedicationDose:
    return MedicationDose.objects.create(
        order=order,
        outcome=fields.pop("outcome", "given"),
        mg=fields.pop("mg", order.dose_mg),
        occurred_at=timezone.now() - dt.timedelta(hours=hours_ago),
        recorded_by=nurse,
        **fields,
    )


@pytest.fixture
def melatonin(db):
    return FormularyItem.objects.create(name="Melatonin", agent="melatonin", form="2 mg tablets")


def timeline(client, user, admission, **params) -> str:
    client.force_login(user)
    response = client.get(reverse("assessments:timeline", args=[admission.public_id]), params)
    assert response.status_code == 200
    return response.content.decode()


def test_prn_benzodiazepine_doses_are_labelled_markers_on_the_chart(
    client, nurse, physician, admission, prn_diazepam, melatonin
):
    for hours in (1, 5, 9):
        make_assessment(
            admission, by=nurse, total=12, assessed_at=timezone.now() - dt.timedelta(hours=hours)
        )
    given(prn_diazepam, nurse, 2)
    given(prn_diazepam, nurse, 6, status=DoseStatus.ENTERED_IN_ERROR, error_reason="wrong")
    given(prn_diazepam, nurse, 7, outcome="refused", reason_text="declined")
    sleep = place(physician, admission, melatonin, dose_mg=Decimal("2"), signed_hours_ago=10)
    given(sleep, nurse, 3)  # not a benzodiazepine: no marker
    html = timeline(client, nurse, admission)
    assert html.count('class="timeline-marker"') == 1
    assert ">PRN</text>" in html  # labelled, not colour alone
    assert "as-needed Diazepam 5 mg given" in html
    assert "Dashed line labelled PRN" in html
    assert "Melatonin" not in html


def test_markers_follow_the_time_window_and_queries_stay_constant(
    client, nurse, admission, prn_diazepam
):
    for hours in (1, 30):
        make_assessment(
            admission, by=nurse, total=12, assessed_at=timezone.now() - dt.timedelta(hours=hours)
        )
    given(prn_diazepam, nurse, 2)
    timeline(client, nurse, admission, days="1")
    with CaptureQueriesContext(connection) as one:
        html = timeline(client, nurse, admission, days="1")
    assert html.count('class="timeline-marker"') == 1
    for hours in (4, 8, 12, 26):
        given(prn_diazepam, nurse, hours)
    with CaptureQueriesContext(connection) as many:
        html = timeline(client, nurse, admission, days="1")
    assert html.count('class="timeline-marker"') == 4  # the one at 26 h is outside "24 hours"
    assert len(many) == len(one)
    assert timeline(client, nurse, admission, days="all").count('class="timeline-marker"') == 5


def test_chart_draws_registry_markers_and_skips_overlapping_labels(nurse, admission):
    now = timezone.now()
    a = make_assessment(admission, by=nurse, total=30, assessed_at=now - dt.timedelta(hours=4))
    b = make_assessment(admission, by=nurse, total=20, assessed_at=now)
    close = [
        registry.TimelineMarker(now - dt.timedelta(hours=2), "PRN", "first <dose>"),
        registry.TimelineMarker(now - dt.timedelta(hours=2, minutes=-1), "PRN", "second"),
    ]
    svg = ciwa_chart([a, b], admission.unit.tz, close)
    assert svg.count('class="timeline-marker"') == 2
    assert svg.count(">PRN</text>") == 1  # the second label would overlap the first
    assert "first &lt;dose&gt;" in svg  # escaped
    assert "2 marked events" in svg
