"""The sedation hold advice shown on each sedating medicine of the Medicines page (issue 15)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_assessment
from tests.medication.conftest import place

pytestmark = pytest.mark.django_db


def _order_headings(html: str) -> dict[str, str]:
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r"<h3>(\w+)[^<]*(?:<span[^>]*>[^<]*</span>\s*)*</h3>", html)
    }


def page(client, user, admission) -> str:
    client.force_login(user)
    response = client.get(reverse("medication:record", args=[admission.public_id]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def buspirone(db):
    from medication.models import FormularyItem

    return FormularyItem.objects.create(
        name="Buspirone", agent="buspirone", form="5 mg tablets", sedating=False
    )


def test_hold_advised_on_every_sedating_order_and_not_on_others(
    client, nurse, physician, admission, prn_diazepam, trazodone, buspirone
):
    place(physician, admission, trazodone, kind="scheduled", dose_mg="50", times=["23:59"])
    place(physician, admission, buspirone, kind="scheduled", dose_mg="5", times=["23:58"])
    # Sedation level 2: doses of sedating medicines are advised held (risk.md sedation rule).
    make_assessment(
        admission, by=nurse, assessed_at=timezone.now() - dt.timedelta(minutes=5), sedation_level=2
    )
    html = page(client, nurse, admission)
    headings = _order_headings(html)
    assert "Hold advised" in headings["Diazepam"]
    assert "Hold advised" in headings["Trazodone"]
    assert "Hold advised" not in headings["Buspirone"]
    # The unrecorded 23:59 trazodone line of today carries it too; buspirone's does not.
    lines = re.findall(r'<li class="dose[^"]*">.*?</li>', html, flags=re.S)
    trazodone_line = next(li for li in lines if "Trazodone 50 mg" in li)
    buspirone_line = next(li for li in lines if "Buspirone 5 mg" in li)
    assert "Hold advised" in trazodone_line
    assert "Hold advised" not in buspirone_line


def test_no_hold_badge_when_the_patient_is_alert(client, nurse, admission, prn_diazepam):
    make_assessment(
        admission, by=nurse, assessed_at=timezone.now() - dt.timedelta(minutes=5), sedation_level=0
    )
    html = page(client, nurse, admission)
    assert "sedating" in html
    assert "Hold advised" not in html
