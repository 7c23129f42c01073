"""Delivery: email once, claim before sending, retry with backoff, skip what is stale."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from notifications import delivery
from notifications.models import DeliveryStatus, Notification
from notifications.services import escalation_notify, sweep
from tests.factories import make_assessment
from tests.notifications.conftest import critical_escalation

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a service and run what it queued on commit (eager Celery runs the tasks)."""

    def call(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return call


@pytest.fixture
def offline():
    """The broker is unreachable: queued tasks are lost (logged, not raised)."""
    from cnt_detox.celery import app

    app.conf.task_always_eager = False
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    app.conf.broker_url = previous
    app.conf.task_always_eager = True


@pytest.fixture
def emails(nurse, physician):
    nurse.email, physician.email = "nurse@example.org", "doc@example.org"
    nurse.save()
    physician.save()


def test_escalation_task_emails_each_recipient_once(
    roster, admission, nurse, physician, emails, run
):
    escalation = critical_escalation(admission, nurse, at=timezone.now())
    run(escalation_notify, escalation_id=escalation.pk)
    assert sorted(m.to[0] for m in mail.outbox) == ["doc@example.org", "nurse@example.org"]
    assert all(n.status == DeliveryStatus.DELIVERED for n in Notification.objects.all())
    # Sweeps, repeated tasks: nothing sent again.
    run(sweep)
    run(escalation_notify, escalation_id=escalation.pk)
    for n in Notification.objects.all():
        assert delivery.notification_deliver(notification_id=n.pk).result == "not_claimed"
    assert len(mail.outbox) == 2
    # No patient name in email.
    assert admission.patient.last_name not in mail.outbox[0].body + mail.outbox[0].subject


def test_recipient_without_email_is_delivered_in_app(roster, admission, nurse, run):
    make_assessment(admission, by=nurse, next_due_minutes=5)
    run(sweep)
    n = Notification.objects.get()
    assert n.status == DeliveryStatus.DELIVERED and not n.email_sent
    assert mail.outbox == []


def test_failed_send_is_retried_with_backoff_then_succeeds(
    roster, admission, nurse, emails, monkeypatch, run
):
    calls = {"n": 0}
    real_send = delivery.send_mail

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("SMTP down")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(delivery, "send_mail", flaky)
    make_assessment(admission, by=nurse, next_due_minutes=5)
    run(sweep)
    n = Notification.objects.get()
    assert n.status == DeliveryStatus.PENDING and n.attempts == 1 and "SMTP down" in n.last_error
    assert n.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    # Not due yet: a duplicate task does nothing.
    assert delivery.notification_deliver(notification_id=n.pk).result == "not_claimed"
    Notification.objects.filter(pk=n.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1),
        queued_at=timezone.now() - dt.timedelta(hours=1),
    )
    run(sweep)  # the sweep re-queues it
    n.refresh_from_db()
    assert n.status == DeliveryStatus.DELIVERED and n.attempts == 2
    assert len(mail.outbox) == 1


def test_gives_up_after_max_attempts(roster, admission, nurse, emails, monkeypatch, settings, run):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2

    def broken(*args, **kwargs):
        raise OSError("no route")

    monkeypatch.setattr(delivery, "send_mail", broken)
    make_assessment(admission, by=nurse, next_due_minutes=5)
    run(sweep)
    n = Notification.objects.get()
    Notification.objects.filter(pk=n.pk).update(next_attempt_at=timezone.now())
    assert delivery.notification_deliver(notification_id=n.pk).result == "failed"
    n.refresh_from_db()
    assert n.status == DeliveryStatus.FAILED
    assert delivery.notification_deliver(notification_id=n.pk).result == "not_claimed"


def test_stuck_claim_is_reclaimed_after_timeout(roster, admission, nurse, emails, settings, run):
    make_assessment(admission, by=nurse, next_due_minutes=5)
    sweep()  # on-commit callbacks discarded: nothing was queued
    n = Notification.objects.get()
    # A worker claimed it and was killed before finishing.
    Notification.objects.filter(pk=n.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now(), attempts=1
    )
    assert delivery.notification_deliver(notification_id=n.pk).result == "not_claimed"
    run(sweep)  # too early: the claim may still be alive
    assert mail.outbox == []
    stale = timezone.now() - dt.timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS + 1)
    Notification.objects.filter(pk=n.pk).update(claimed_at=stale)
    run(sweep)
    n.refresh_from_db()
    assert n.status == DeliveryStatus.DELIVERED
    assert len(mail.outbox) == 1


def test_reminder_for_assessment_done_meanwhile_is_skipped(
    roster, admission, nurse, emails, offline, run
):
    make_assessment(admission, by=nurse, next_due_minutes=5)
    run(sweep)  # the broker is down: the row is created, the task is lost
    n = Notification.objects.get()
    assert n.status == DeliveryStatus.PENDING
    make_assessment(admission, by=nurse, next_due_minutes=240)  # done in the meantime
    assert delivery.notification_deliver(notification_id=n.pk).result == "skipped"
    n.refresh_from_db()
    assert n.status == DeliveryStatus.SKIPPED and n.resolved_at is not None
    assert mail.outbox == []
