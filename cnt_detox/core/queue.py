"""Queue Celery work after the surrounding transaction commits, never delaying or failing
the caller.

A clinical save must commit and return even if Redis is stopped or hung. So the task is sent
by name after commit from a single background thread per process: the request thread only
puts the task on an in-memory queue. A failure to publish is logged, not raised. Nothing is
lost if the process dies with tasks still queued here: the periodic sweep reads the
database, which is the source of truth for what is due. Arguments are ids only, so no
patient data sits in the broker.
"""

from __future__ import annotations

import logging
import queue
import threading

from django.db import transaction

from cnt_detox.celery import app

logger = logging.getLogger("cnt_detox.queue")

# Bounded so a long broker outage cannot grow memory without limit; the sweep catches up
# on whatever is dropped.
_MAX_PENDING = 1000
_pending: queue.Queue[tuple[str, tuple[int | str, ...]]] = queue.Queue(maxsize=_MAX_PENDING)
_worker_lock = threading.Lock()
_worker: threading.Thread | None = None


def send_now(task_name: str, *ids: int | str) -> bool:
    """Publish (or, in eager mode, run) one task; True on success. Never raises."""
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


def _publisher() -> None:
    while True:
        task_name, ids = _pending.get()
        try:
            send_now(task_name, *ids)
        finally:
            _pending.task_done()


def _ensure_publisher() -> None:
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_publisher, name="cnt-task-publisher", daemon=True)
            _worker.start()


def _hand_off(task_name: str, ids: tuple[int | str, ...]) -> None:
    if app.conf.task_always_eager:
        # In-process execution is what eager mode is for (tests): keep it synchronous.
        send_now(task_name, *ids)
        return
    _ensure_publisher()
    try:
        _pending.put_nowait((task_name, ids))
    except queue.Full:
        logger.warning("Publish queue full; dropping %s%s for the sweep to catch", task_name, ids)


def enqueue_after_commit(task_name: str, *ids: int | str) -> None:
    """Send ``task_name(*ids)`` once the current transaction commits (at once if none)."""
    transaction.on_commit(lambda: _hand_off(task_name, ids))
