"""Celery tasks: ids in, one service call, nothing else (names agreed in the brief).

Every task is idempotent (unique constraint on creation, conditional claim on delivery), so
at-least-once delivery by the broker (acks_late, reject_on_worker_lost) is safe.
"""

from __future__ import annotations

import logging

from celery import shared_task

from cnt_detox.celery import app
from notifications import delivery, services

logger = logging.getLogger("notifications.tasks")


@shared_task(name="notifications.sweep", ignore_result=True)
def sweep() -> None:
    services.sweep()


@shared_task(name="notifications.escalation_raised", ignore_result=True)
def escalation_raised(escalation_id: int) -> None:
    services.escalation_notify(escalation_id=int(escalation_id))


@shared_task(name="notifications.deliver", ignore_result=True, soft_time_limit=60)
def deliver(notification_id: int) -> None:
    outcome = delivery.notification_deliver(notification_id=int(notification_id))
    if outcome.retry_in is not None and not app.conf.task_always_eager:
        # Backoff: a delayed copy of this task. If it is lost, the sweep re-queues the row
        # once next_attempt_at has passed.
        try:
            app.send_task(
                "notifications.deliver",
                args=[int(notification_id)],
                countdown=outcome.retry_in.total_seconds(),
            )
        except Exception:  # broker trouble: the sweep will re-queue
            logger.warning("Could not schedule retry of notification %s", notification_id)
