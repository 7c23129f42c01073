"""Follow-ups are read through the one access rule (patients.selectors.admission_ids_for_user):
a live emergency grant opens them like the rest of the stay, its expiry closes them, and a
user of another unit without a grant gets 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from aftercare import selectors, services
from cnt_detox.core.models import EmergencyAccess
from tests.factories import make_admission

pytestmark = pytest.mark.django_db


def _follow_up(unit, nurse):
    admission = make_admission(unit, by=nurse)
    follow_up = services.follow_up_create(
        actor=nurse,
        admission=admission,
        scheduled_at=timezone.now() + dt.timedelta(days=7),
        with_whom="Community clinic",
        mode="in_person",
    )
    return admission, follow_up


def _grant(user, admission, minutes: int) -> None:
    now = timezone.now()
    EmergencyAccess.objects.create(
        user=user,
        admission=admission,
        reason="Patient collapsed on the corridor",
        granted_at=now,
        expires_at=now + dt.timedelta(minutes=minutes),
    )


def test_own_unit_reads_the_follow_up(unit, nurse):
    _, follow_up = _follow_up(unit, nurse)
    assert selectors.follow_up_for_user(nurse, follow_up.public_id) == follow_up
    assert list(selectors.follow_ups_for_user(nurse)) == [follow_up]


def test_other_unit_without_a_grant_gets_404(unit, nurse, other_nurse):
    _, follow_up = _follow_up(unit, nurse)
    with pytest.raises(Http404):
        selectors.follow_up_for_user(other_nurse, follow_up.public_id)
    assert list(selectors.follow_ups_for_user(other_nurse)) == []


def test_a_live_grant_opens_the_follow_up_and_its_expiry_closes_it(unit, nurse, other_nurse):
    admission, follow_up = _follow_up(unit, nurse)
    _grant(other_nurse, admission, minutes=60)
    assert selectors.follow_up_for_user(other_nurse, follow_up.public_id) == follow_up
    EmergencyAccess.objects.filter(user=other_nurse).update(expires_at=timezone.now())
    with pytest.raises(Http404):
        selectors.follow_up_for_user(other_nurse, follow_up.public_id)
