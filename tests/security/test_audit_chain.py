"""Audit rows are hash-chained; verify_audit finds the first altered row; DB roles."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.utils import DatabaseError, ProgrammingError

from cnt_detox.core import audit
from cnt_detox.core.management.commands.verify_audit import verify_chain
from cnt_detox.core.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL=postgres://...)"
)


@pytest.mark.django_db
def test_each_row_links_to_the_previous_one(nurse, unit):
    first = audit.record(actor=nurse, action="a.one", obj=unit, details={"n": 1.0, "x": [1, 2]})
    second = audit.record(actor=nurse, action="a.two", changes={"b": {"old": 1, "new": 2}})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.prev_hash == "" and len(first.row_hash) == 64
    assert second.prev_hash == first.row_hash
    assert audit.row_hash(second) == second.row_hash


@pytest.mark.django_db
def test_verify_audit_passes_on_an_intact_chain(nurse, capsys):
    for n in range(5):
        audit.record(actor=nurse, action=f"a.{n}", details={"n": n})
    call_command("verify_audit")
    assert "intact: 5 rows" in capsys.readouterr().out


def _raw_update(sql: str, params: list) -> None:
    """Tamper the way an attacker with raw database access would (bypassing the model guard);
    on PostgreSQL the triggers are skipped for it, as only a superuser could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


@pytest.mark.django_db
def test_verify_audit_reports_the_first_altered_row(nurse):
    events = [audit.record(actor=nurse, action=f"a.{n}") for n in range(5)]
    _raw_update("UPDATE core_auditevent SET action = %s WHERE id = %s", ["a.forged", events[2].pk])
    _raw_update("UPDATE core_auditevent SET action = %s WHERE id = %s", ["a.forged", events[3].pk])
    with pytest.raises(CommandError, match=rf"row id={events[2].pk} .*content altered"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_verify_audit_reports_a_removed_row(nurse):
    events = [audit.record(actor=nurse, action=f"a.{n}") for n in range(4)]
    _raw_update("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    _, _, _, problem = verify_chain()
    assert problem and f"id={events[2].pk}" in problem and "removed or inserted" in problem


@pytest.mark.django_db
def test_verify_audit_reports_a_recomputed_hash_without_the_key(nurse):
    """Rewriting a row and a plain SHA-256 over it does not pass: the chain is keyed."""
    import hashlib

    events = [audit.record(actor=nurse, action=f"a.{n}") for n in range(2)]
    fake = hashlib.sha256(b"forged").hexdigest()
    _raw_update("UPDATE core_auditevent SET row_hash = %s WHERE id = %s", [fake, events[1].pk])
    _, _, _, problem = verify_chain()
    assert problem and "content altered" in problem


def test_verify_audit_exits_non_zero_from_the_shell():
    from cnt_detox.core.management.commands import verify_audit

    assert issubclass(verify_audit.Command, object)
    # CommandError -> exit status 1 under manage.py (Django's BaseCommand.run_from_argv).
    assert CommandError("x").returncode == 1


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain(nurse):
    """Eight threads, each in its own transaction and connection, append at once."""
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                with transaction.atomic():
                    audit.record(actor=None, action=f"t.{n}.{i}")
        except BaseException as exc:  # re-raised below in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    checked, _, _, problem = verify_chain()
    assert problem is None and checked >= 40


def _grants_block(app_role: str, owner_role: str) -> str:
    text = (ROOT / "deploy" / "postgres-roles.sql").read_text()
    block = re.search(r"-- GRANTS:BEGIN.*?\n(.*)-- GRANTS:END", text, re.S).group(1)
    return block.replace("cnt_app", app_role).replace("cnt_owner", owner_role)


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db
def test_runtime_role_may_only_insert_and_select_audit_rows(nurse):
    """Run deploy/postgres-roles.sql's grants for a throw-away role, then act as that role.

    Everything happens inside the test's transaction (CREATE ROLE is transactional in
    PostgreSQL), so the role disappears with the rollback.
    """
    audit.record(actor=nurse, action="before")
    role = f"cnt_app_test_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cursor.execute(_grants_block(role, owner))
        cursor.execute(f'SET ROLE "{role}"')
        try:
            # The app's normal work: append through the real code path, read back.
            event = audit.record(actor=nurse, action="as.runtime")
            assert AuditEvent.objects.filter(pk=event.pk).exists()
            refused = [
                "UPDATE core_auditevent SET action = 'x'",
                "DELETE FROM core_auditevent",
                "TRUNCATE core_auditevent",
                "ALTER TABLE core_auditevent DISABLE TRIGGER USER",
                "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_update_delete",
                "DROP TRIGGER core_auditevent_no_update_delete ON core_auditevent",
                "SET session_replication_role = replica",
            ]
            for sql in refused:
                with pytest.raises((ProgrammingError, DatabaseError)), transaction.atomic():
                    cursor.execute(sql)
        finally:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.filter(action="before").exists()
