"""On PostgreSQL the database itself refuses to change or delete signed summaries and
aftercare plan versions (migration 0002); SQLite relies on the model guards."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from aftercare import services
from tests.conftest import PASSWORD
from tests.factories import make_admission

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("triggers are PostgreSQL-only")


def _refused(sql: str, params: list) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError:
        return True
    return False


def test_signed_summary_and_plan_versions_are_frozen(unit, nurse, physician):
    admission = make_admission(unit, by=nurse)
    row = services.summary_sign(actor=physician, admission=admission, password=PASSWORD)
    plan = services.aftercare_plan_save(
        actor=nurse, admission=admission, data={"level_of_care": "none", "level_reason": "x"}
    )
    assert _refused("UPDATE aftercare_dischargesummary SET digest = 'x' WHERE id = %s", [row.pk])
    assert _refused("DELETE FROM aftercare_dischargesummary WHERE id = %s", [row.pk])
    assert _refused("UPDATE aftercare_aftercareplan SET triggers = 'x' WHERE id = %s", [plan.pk])
    assert _refused("DELETE FROM aftercare_aftercareplan WHERE id = %s", [plan.pk])
    # Superseding stays possible (the services' only update).
    assert not _refused(
        "UPDATE aftercare_dischargesummary SET status = 'superseded', superseded_at = now() "
        "WHERE id = %s",
        [row.pk],
    )
