"""Issue 20 item 15: admins open and edit Unit interval rules (README: Administration)."""

from __future__ import annotations

import pytest

from assessments.models import UnitIntervalRules
from cnt_detox.core.models import AuditEvent

pytestmark = pytest.mark.django_db

LIST = "/admin/assessments/unitintervalrules/"


def test_admin_opens_edits_and_adds_unit_interval_rules(client, admin_user, unit, other_unit):
    rules = UnitIntervalRules.objects.create(unit=unit)
    UnitIntervalRules.objects.create(unit=other_unit)
    client.force_login(admin_user)
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert str(unit) in listing.content.decode()
    # Only the admin's units are listed.
    assert listing.context["cl"].result_count == 1
    change = f"{LIST}{rules.pk}/change/"
    assert client.get(change).status_code == 200
    data = {
        "unit": unit.pk,
        "none_mild_minutes": 180,
        "moderate_minutes": 120,
        "severe_minutes": 60,
        "unable_or_critical_minutes": 60,
        "rise_threshold": 10,
    }
    response = client.post(change, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rules.refresh_from_db()
    assert rules.none_mild_minutes == 180
    event = AuditEvent.objects.get(action="interval_rules.changed")
    assert event.changes["none_mild_minutes"] == {"old": 240, "new": 180}


def test_admin_cannot_open_another_units_rules(client, admin_user, other_unit):
    rules = UnitIntervalRules.objects.create(unit=other_unit)
    client.force_login(admin_user)
    response = client.get(f"{LIST}{rules.pk}/change/")
    assert response.status_code in (302, 404)
    assert str(other_unit) not in client.get(LIST).content.decode()


@pytest.mark.parametrize("who", ["nurse", "physician"])
def test_clinicians_cannot_open_the_admin_site(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(LIST).status_code in (302, 403)
