"""Two sweeps at the same moment on PostgreSQL create each notification once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from notifications.models import Notification
from notifications.services import sweep
from tests.notifications.conftest import NOW, due_in


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_create_one_notification(roster, admission, nurse, physician):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    due_in(admission, nurse, -61)  # due soon is past; overdue 30 and 60 both due
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            sweep(now=NOW)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(Notification.objects.values_list("kind", "recipient_id")) == sorted(
        [("assessment_overdue_30", nurse.pk), ("assessment_overdue_60", physician.pk)]
    )
