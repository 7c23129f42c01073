"""Follow-up appointments remind the clinic through the notifications sweep: due, overdue,
acknowledged, and resolved once the outcome is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from aftercare import reminders, services
from notifications import delivery
from notifications import services as notification_services
from notifications.models import Notification, NotificationKind, UnitOnCall
from tests.factories import make_admission

pytestmark = pytest.mark.django_db


@pytest.fixture
def discharged_follow_up(unit, nurse, physician):
    UnitOnCall.objects.create(unit=unit, on_call_physician=physician, charge_nurse=nurse)
    admission = make_admission(unit, by=nurse)
    services.discharge(actor=nurse, admission=admission, discharged_at=timezone.now(), reason="x")
    when = timezone.now() + dt.timedelta(hours=3)
    return services.follow_up_create(
        actor=nurse, admission=admission, scheduled_at=when, with_whom="Dr Lee", mode="in_person"
    )


def test_due_then_overdue_then_resolved_when_recorded(
    discharged_follow_up, nurse, physician, settings
):
    settings.AFTERCARE_FOLLOWUP_REMINDER_LEAD_MINUTES = 60
    settings.AFTERCARE_FOLLOWUP_OVERDUE_MINUTES = 120
    f = discharged_follow_up
    notification_services.sweep(now=f.scheduled_at - dt.timedelta(hours=2))
    assert not Notification.objects.exists()  # not yet within the lead time

    notification_services.sweep(now=f.scheduled_at - dt.timedelta(minutes=30))
    due = Notification.objects.get()
    assert due.kind == NotificationKind.FOLLOWUP_DUE and due.recipient == nurse
    assert due.subject_key == reminders.key(f.pk) and due.due_at == f.scheduled_at
    assert delivery.still_relevant(due)  # the admission is discharged, the follow-up is not

    notification_services.sweep(now=f.scheduled_at + dt.timedelta(hours=3))
    overdue = Notification.objects.filter(kind=NotificationKind.FOLLOWUP_OVERDUE)
    assert {n.recipient for n in overdue} == {nurse, physician}

    notification_services.notification_acknowledge(notification=due, actor=nurse)
    due.refresh_from_db()
    assert due.acknowledged_at is not None

    services.follow_up_record(
        actor=nurse, follow_up=f, status="attended", adherence="as_prescribed"
    )
    notification_services.sweep(now=f.scheduled_at + dt.timedelta(hours=4))
    assert not Notification.objects.filter(
        resolved_at__isnull=True, acknowledged_at__isnull=True
    ).exists()
    assert not delivery.still_relevant(overdue.first())


def test_repeated_sweeps_create_each_reminder_once(discharged_follow_up, settings):
    settings.AFTERCARE_FOLLOWUP_REMINDER_LEAD_MINUTES = 240
    now = discharged_follow_up.scheduled_at - dt.timedelta(minutes=10)
    notification_services.sweep(now=now)
    notification_services.sweep(now=now + dt.timedelta(minutes=1))
    assert Notification.objects.count() == 1


def test_cancelled_follow_up_is_not_reminded(discharged_follow_up, nurse, settings):
    settings.AFTERCARE_FOLLOWUP_REMINDER_LEAD_MINUTES = 240
    services.follow_up_record(
        actor=nurse, follow_up=discharged_follow_up, status="cancelled", note="Moved away"
    )
    notification_services.sweep(now=discharged_follow_up.scheduled_at)
    assert not Notification.objects.exists()


def test_headline_names_no_patient(discharged_follow_up, settings):
    from notifications.wording import headline

    settings.AFTERCARE_FOLLOWUP_REMINDER_LEAD_MINUTES = 240
    notification_services.sweep(now=discharged_follow_up.scheduled_at)
    n = Notification.objects.get()
    text = headline(n)
    assert "Follow-up appointment due" in text and "Dr Lee" in text
    assert n.admission.patient.last_name not in text
