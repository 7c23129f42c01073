"""Wait for cnt_detox.core.queue's background publisher (broker tests only).

Production never waits for it: a clinical save returns at once and the sweep catches up on
anything not published. Tests that look at the broker need the publishes attempted first.
"""

from __future__ import annotations

import threading

from cnt_detox.core import queue


def wait_for_pending(timeout: float = 10.0) -> bool:
    """Block until the publishes queued so far were attempted; False after ``timeout`` s."""
    done = threading.Event()

    def waiter() -> None:
        queue._pending.join()
        done.set()

    threading.Thread(target=waiter, daemon=True).start()
    return done.wait(timeout)
