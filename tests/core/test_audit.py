import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db


def test_record_stores_actor_object_changes_and_ip(nurse, unit, rf):
    request = rf.get("/", REMOTE_ADDR="10.1.2.3")
    event = audit.record(
        actor=nurse,
        action="admin.unit.changed",
        obj=unit,
        client=Client.from_request(request),
        changes=audit.diff({"name": "Old"}, {"name": "Ward 1"}),
    )
    event.refresh_from_db()
    assert event.actor == nurse and event.actor_username == "nurse1"
    assert event.object_type == "patients.unit"
    assert event.object_id == str(unit.public_id)
    assert event.ip_address == "10.1.2.3"
    assert event.changes == {"name": {"old": "Old", "new": "Ward 1"}}


def test_diff_only_lists_changed_fields():
    from decimal import Decimal

    assert audit.diff({"a": 1, "b": Decimal("2.5")}, {"a": 1, "b": Decimal("3")}) == {
        "b": {"old": "2.5", "new": "3"}
    }


def test_model_guard_refuses_update_and_delete(nurse):
    event = audit.record(actor=nurse, action=AuditAction.LOGGED_IN)
    event.action = "y"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="y")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers are PostgreSQL-only")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditevent SET action = 'tampered'",
        "DELETE FROM core_auditevent",
        "TRUNCATE core_auditevent CASCADE",
    ],
)
@pytest.mark.django_db(transaction=True)
def test_postgres_triggers_refuse_update_delete_truncate(nurse, sql):
    # Committed rows: inside a test transaction TRUNCATE fails earlier for another reason.
    audit.record(actor=nurse, action=AuditAction.LOGGED_IN)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.filter(action=AuditAction.LOGGED_IN).count() == 1


def test_record_refuses_an_action_name_that_is_not_listed(nurse):
    # A typo would be sealed into the log for good, where no filter finds it.
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit.record(actor=nurse, action="admission.veiwed")
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit.record(actor=nurse, action="admission" + ".view")  # the pre-issue-17 name
    assert not AuditEvent.objects.exists()


def test_every_legacy_name_maps_to_a_listed_one():
    from cnt_detox.core.audit_actions import LEGACY_ACTION_NAMES, is_known

    for old, new in LEGACY_ACTION_NAMES.items():
        assert not is_known(old), old
        assert is_known(new), new
