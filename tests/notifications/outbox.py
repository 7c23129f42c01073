"""Email backend for tests with real worker processes: one JSON line per message in the
file named by NOTIFY_TEST_OUTBOX. NOTIFY_TEST_SEND_DELAY (seconds) sleeps before writing,
so a test can kill the worker in the middle of a send."""

from __future__ import annotations

import json
import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        delay = float(os.environ.get("NOTIFY_TEST_SEND_DELAY", "0"))
        marker = os.environ.get("NOTIFY_TEST_SENDING")
        for message in email_messages:
            if marker:
                with open(marker, "a") as f:
                    f.write(f"{os.getpid()}\n")
            if delay:
                time.sleep(delay)
            with open(os.environ["NOTIFY_TEST_OUTBOX"], "a") as f:
                f.write(json.dumps({"to": message.to, "subject": message.subject}) + "\n")
        return len(email_messages)


def read(path) -> list[dict]:  # type: ignore[no-untyped-def]
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []
