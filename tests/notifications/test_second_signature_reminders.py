"""Reminders to addiction specialists of plans awaiting their second signature (issue 15)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.cosign import second_signature_rows
from notifications.delivery import still_relevant
from notifications.models import Notification, NotificationKind
from notifications.services import sweep
from patients.models import AdmissionStatus
from tapering import services as tapering
from tapering.models import PlanStatus
from tests.conftest import PASSWORD
from tests.factories import make_admission

pytestmark = pytest.mark.django_db
K = NotificationKind


@pytest.fixture(autouse=True)
def _second_signature_on(settings):
    settings.TAPER_SECOND_SIGNATURE = True


@pytest.fixture
def specialist(make_user, unit):
    user = make_user("spec1", "physician", unit)
    user.is_addiction_specialist = True
    user.save(update_fields=["is_addiction_specialist"])
    return user


def awaiting_plan(unit, nurse, physician, bed_index: int = 0):
    """A 60 mg/day diazepam plan, signed once: above 40 mg it waits for a specialist."""
    admission = make_admission(
        unit,
        unit.beds.order_by("label")[bed_index],
        by=nurse,
        admitted_at=timezone.now() - dt.timedelta(days=1),
    )
    data = {
        "agents": [{"agent": "diazepam", "daily_dose_mg": "60"}],
        "target_agent": "diazepam",
        "strategy": "inpatient",
        "params": {},
        "start_date": unit.local_now().date().isoformat(),
        "age": 45,
    }
    plan = tapering.plan_create_draft(admission=admission, actor=physician, data=data)
    plan = tapering.plan_sign(
        plan=plan, actor=physician, password=PASSWORD, expected_version=plan.lock_version
    )
    assert plan.status == PlanStatus.AWAITING_SECOND_SIGNATURE
    return plan


def later(minutes: int = 1) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_waiting_plan_reminds_each_active_specialist_of_the_unit_once(
    unit, other_unit, nurse, physician, specialist, make_user
):
    second = make_user("spec2", "physician", unit)
    second.is_addiction_specialist = True
    second.save()
    retired = make_user("spec3", "physician", unit)
    retired.is_addiction_specialist = True
    retired.is_active = False
    retired.save()
    elsewhere = make_user("spec4", "physician", other_unit)
    elsewhere.is_addiction_specialist = True
    elsewhere.save()
    plan = awaiting_plan(unit, nurse, physician)
    sweep(now=later())
    sweep(now=later(2))  # a repeated sweep creates nothing new
    rows = Notification.objects.filter(kind=K.SECOND_SIGNATURE)
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["spec1", "spec2"]
    assert set(rows.values_list("due_at", flat=True)) == {plan.status_changed_at}
    assert "version 1" in rows.first().detail
    # Not the ordinary physician nor the nurse.
    assert not Notification.objects.filter(recipient__in=[physician, nurse]).exists()


def test_first_signer_who_is_a_specialist_is_not_reminded(unit, nurse, physician, specialist):
    physician.is_addiction_specialist = True
    physician.save()
    awaiting_plan(unit, nurse, physician)
    sweep(now=later())
    assert list(
        Notification.objects.filter(kind=K.SECOND_SIGNATURE).values_list("recipient", flat=True)
    ) == [specialist.pk]


def test_co_signed_plan_resolves_the_reminders_and_is_not_delivered(
    unit, nurse, physician, specialist, make_user
):
    colleague = make_user("spec2", "physician", unit)
    colleague.is_addiction_specialist = True
    colleague.save()
    plan = awaiting_plan(unit, nurse, physician)
    sweep(now=later())
    reminder = Notification.objects.get(kind=K.SECOND_SIGNATURE, recipient=colleague)
    assert still_relevant(reminder)
    tapering.plan_second_sign(plan=plan, actor=specialist, password=PASSWORD)
    assert not still_relevant(reminder)
    sweep(now=later(2))
    assert not Notification.objects.filter(
        kind=K.SECOND_SIGNATURE, resolved_at__isnull=True
    ).exists()


def test_discharge_resolves_and_stops_the_reminders(unit, nurse, physician, specialist):
    plan = awaiting_plan(unit, nurse, physician)
    sweep(now=later())
    plan.admission.status = AdmissionStatus.DISCHARGED
    plan.admission.discharged_at = timezone.now()
    plan.admission.save()
    result = sweep(now=later(2))
    assert result.resolved >= 1
    assert Notification.objects.get(kind=K.SECOND_SIGNATURE).resolved_at is not None


def test_rows_take_one_query_however_many_plans(unit, nurse, physician, specialist):
    awaiting_plan(unit, nurse, physician, 0)
    with CaptureQueriesContext(connection) as one:
        assert len(second_signature_rows(later())) == 1
    awaiting_plan(unit, nurse, physician, 1)
    awaiting_plan(unit, nurse, physician, 2)
    with CaptureQueriesContext(connection) as three:
        assert len(second_signature_rows(later())) == 3
    assert len(one) == len(three) == 1


def test_sweep_query_count_does_not_grow_with_waiting_plans(unit, nurse, physician, specialist):
    awaiting_plan(unit, nurse, physician, 0)
    with CaptureQueriesContext(connection) as few:
        sweep(now=later(2))
    awaiting_plan(unit, nurse, physician, 1)
    awaiting_plan(unit, nurse, physician, 2)
    with CaptureQueriesContext(connection) as more:
        sweep(now=later(3))
    assert len(few) == len(more)


def test_notification_list_links_to_the_plan(client, unit, nurse, physician, specialist):
    plan = awaiting_plan(unit, nurse, physician)
    sweep(now=later())
    client.force_login(specialist)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Second signature awaited" in page
    assert "waiting for a specialist&#x27;s second signature" in page
    assert reverse("tapering:plan", args=[plan.public_id]) in page
    api = client.get("/api/v1/notifications/").json()
    items = api["results"] if isinstance(api, dict) else api
    assert items[0]["kind"] == "second_signature"
    assert items[0]["links"]["plan_url"] == reverse("tapering:plan", args=[plan.public_id])
