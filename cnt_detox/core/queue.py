"""Queue Celery work after the surrounding transaction commits, never failing the caller.

A clinical save must commit and return even if Redis is stopped or hung: the task is sent
by name after commit, with the broker's short socket timeouts, and a failure to publish is
logged, not raised. Nothing is lost: the periodic sweep reads the database and catches up.
Arguments are ids only, so no patient data sits in the broker.
"""

from __future__ import annotations

import logging

from django.db import transaction

from cnt_detox.celery import app

logger = logging.getLogger("cnt_detox.queue")


def send_now(task_name: str, *ids: int | str) -> bool:
    try:
        if app.conf.task_always_eager:
            # send_task ignores eager mode; tests and eager setups run the task in-process.
            app.tasks[task_name].apply(args=ids)
        else:
            app.send_task(task_name, args=list(ids))
    except Exception:  # the broker may be down in any way; the sweep will catch up
        logger.warning(
            "Could not queue %s%s; the sweep will pick it up", task_name, ids, exc_info=True
        )
        return False
    return True


def enqueue_after_commit(task_name: str, *ids: int | str) -> None:
    """Send ``task_name(*ids)`` once the current transaction commits (at once if none)."""
    transaction.on_commit(lambda: send_now(task_name, *ids))
