"""Fault tests: real worker/beat processes on a private redis-server (loopback, own port).

Each case checks: every due notification is delivered within BOUND_SECONDS, none twice,
and the clinical save (assessment + escalation + queueing) never fails.
"""

from __future__ import annotations

import collections
import signal
import time

import pytest
from celery import Celery
from django.conf import settings
from django.utils import timezone

from assessments.models import EscalationKind
from cnt_detox.celery import app
from cnt_detox.core import queue
from notifications.models import SweepHeartbeat
from tests.factories import make_assessment
from tests.notifications import outbox
from tests.notifications.conftest import critical_escalation
from tests.notifications.procs import PrivateRedis, Procs, require_real_services, wait_for
from tests.publish_wait import wait_for_pending

pytestmark = [pytest.mark.slow, pytest.mark.redis]
BOUND_SECONDS = 25
DOC, NURSE = "doc@example.org", "nurse@example.org"


@pytest.fixture
def env(transactional_db, tmp_path, monkeypatch, roster, nurse, physician):
    require_real_services()
    physician.email, nurse.email = DOC, NURSE
    physician.save()
    nurse.save()
    redis = PrivateRedis(tmp_path)
    redis.start()
    # The web side, publishing to our private Redis. Celery lets the CELERY_BROKER_URL
    # environment variable override broker_url, so point that at it too.
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)
    publisher = Celery("cnt_detox_test_publisher")
    publisher.conf.update(
        {
            name.removeprefix("CELERY_").lower(): getattr(settings, name)
            for name in dir(settings)
            if name.startswith("CELERY_") and name != "CELERY_BROKER_URL"
        }
    )
    publisher.conf.broker_url = redis.url
    publisher.conf.task_always_eager = False
    monkeypatch.setattr(queue, "app", publisher)
    app.conf.task_always_eager = False
    procs = Procs(tmp_path, redis.url)
    procs.redis = redis
    yield procs
    procs.stop_all()
    redis.stop()
    app.conf.task_always_eager = True


def clinical_save(admission, nurse, *, kind=EscalationKind.CRITICAL_FLAG):
    """What the assessments service does; it must succeed quickly whatever the broker does."""
    started = time.monotonic()
    escalation = critical_escalation(admission, nurse, at=timezone.now(), kind=kind)
    queue.enqueue_after_commit("notifications.escalation_raised", escalation.pk)
    assert time.monotonic() - started < 10
    return escalation


def sent(procs) -> collections.Counter:
    return collections.Counter(m["to"][0] for m in outbox.read(procs.outbox))


def expect_once(procs, *addresses: str) -> None:
    try:
        wait_for(lambda: set(addresses) <= set(sent(procs)), BOUND_SECONDS, "not delivered")
        time.sleep(3)  # room for a duplicate to show up
        counts = sent(procs)
        assert all(counts[a] == 1 for a in addresses), counts
    except AssertionError:
        print(procs.logs())
        raise


def test_worker_killed_during_send(env, admission, nurse):
    env.worker(NOTIFY_TEST_SEND_DELAY="4")
    clinical_save(admission, nurse, kind=EscalationKind.SEVERE_BAND)  # physician only
    wait_for(lambda: (env.tmp / "sending.log").exists(), BOUND_SECONDS, "send did not start")
    env.kill(env.procs[0], signal.SIGKILL)
    assert sent(env) == {}
    env.worker()
    env.beat()
    expect_once(env, DOC)


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_redis_stopped_or_frozen_longer_than_broker_timeouts(env, admission, nurse, fault):
    env.worker()
    env.beat()
    wait_for(SweepHeartbeat.objects.exists, BOUND_SECONDS, "no sweep before the fault")
    if fault == "stopped":
        env.redis.stop()
    else:
        env.redis.signal(signal.SIGSTOP)
    time.sleep(1)
    clinical_save(admission, nurse)  # saves although the broker is gone
    time.sleep(4)  # longer than the 1 s broker timeouts
    if fault == "stopped":
        env.redis.start()  # same port, empty: anything queued before is gone
    else:
        env.redis.signal(signal.SIGCONT)
    expect_once(env, DOC, NURSE)


def test_flushdb_loses_queued_tasks(env, admission, nurse):
    clinical_save(admission, nurse)  # queued while no worker runs
    assert wait_for_pending(10)  # publishing happens on a background thread
    assert env.redis.client().llen("celery") >= 1
    env.redis.client().flushdb()  # our private server, our db only
    env.worker()
    env.beat()
    expect_once(env, DOC, NURSE)


def test_two_beats_at_once(env, admission, nurse):
    env.worker()
    env.beat()
    env.beat()
    make_assessment(admission, by=nurse, next_due_minutes=10)  # reminder due now
    expect_once(env, NURSE)


def test_beat_stopped_for_several_intervals_then_restarted(env, admission, nurse):
    env.worker()
    beat = env.beat()
    wait_for(SweepHeartbeat.objects.exists, BOUND_SECONDS, "no sweep")
    env.kill(beat, signal.SIGKILL)
    make_assessment(admission, by=nurse, next_due_minutes=10)  # due while beat is down
    time.sleep(5)  # five sweep intervals
    assert sent(env) == {}
    env.beat()
    expect_once(env, NURSE)
