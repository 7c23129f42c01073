"""Audit rows carry a row MAC; the sealer chains them; verify_audit finds the first altered,
removed or inserted row and rows left unsealed; DB roles."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.utils import DatabaseError, ProgrammingError

from cnt_detox.core import audit
from cnt_detox.core.management.commands.verify_audit import verify_chain, verify_log
from cnt_detox.core.models import AuditEvent, AuditSeal

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def any_action_name(monkeypatch):
    """The chain tests record made-up action names; the name check has its own test."""
    monkeypatch.setattr(audit, "is_known", lambda action: True)


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL=postgres://...)"
)


def _sealed_events(n: int, actor=None) -> list[AuditEvent]:
    events = [audit.record(actor=actor, action=f"a.{i}", details={"n": i}) for i in range(n)]
    assert audit.seal_pending() == n
    return events


@pytest.mark.django_db
def test_request_writes_a_row_mac_and_the_sealer_links_rows_in_order(nurse, unit):
    first = audit.record(actor=nurse, action="a.one", obj=unit, details={"n": 1.0, "x": [1, 2]})
    second = audit.record(actor=nurse, action="a.two", changes={"b": {"old": 1, "new": 2}})
    for event in (first, second):
        event.refresh_from_db()
        assert event.row_hash == "" and event.prev_hash == ""
        assert event.row_mac == audit.row_mac(event) and len(event.row_mac) == 64
    assert not AuditSeal.objects.exists()
    assert audit.seal_pending() == 2
    s1, s2 = AuditSeal.objects.order_by("id")
    assert (s1.event_id, s2.event_id) == (first.pk, second.pk)
    assert s1.prev_hash == "" and s2.prev_hash == s1.row_hash
    assert s2.row_hash == audit.chain_hash(second, s1.row_hash)


@pytest.mark.django_db
def test_sealer_is_idempotent_and_continues_the_chain(nurse):
    _sealed_events(3, nurse)
    assert audit.seal_pending() == 0
    audit.record(actor=nurse, action="later")
    assert audit.seal_pending(batch_size=1) == 1
    assert AuditSeal.objects.count() == 4
    assert verify_chain()[3] is None


@pytest.mark.django_db
def test_sealer_continues_an_inline_chain_from_before_the_sealer(nurse):
    """Rows written by the old code carry their link inline; the first seal links to them."""
    old = AuditEvent(actor_username="x", action="legacy", prev_hash="")
    old.row_hash = audit.row_hash(old)
    old.save(force_insert=True)
    _sealed_events(2, nurse)
    assert AuditSeal.objects.order_by("id").first().prev_hash == old.row_hash
    checked, legacy, head, problem = verify_chain()
    assert problem is None and checked == 3 and legacy == 0
    assert head == AuditSeal.objects.order_by("-id").first().row_hash


@pytest.mark.django_db
def test_a_row_that_commits_late_is_sealed_in_the_next_batch(nurse, settings):
    """Ids are allocated before commit: a lower id can appear after higher ones were sealed.

    Simulated with explicit ids: 1 and 3 are visible and sealed, then 2 "commits".
    """
    base = audit.record(actor=nurse, action="first").pk
    late = AuditEvent(pk=base + 2, action="third")
    late.row_mac = audit.row_mac(late)
    late.save(force_insert=True)
    assert audit.seal_pending() == 2
    slow = AuditEvent(pk=base + 1, action="second, committed last")
    slow.row_mac = audit.row_mac(slow)
    slow.save(force_insert=True)
    assert audit.seal_pending() == 1
    order = list(AuditSeal.objects.order_by("id").values_list("event_id", flat=True))
    assert order == [base, base + 2, base + 1]
    assert verify_chain()[3] is None
    # Beyond the lookback window only the full pass finds it.
    settings.AUDIT_SEAL_LOOKBACK_ROWS = 0
    very_late = AuditEvent(pk=base - 1 if base > 1 else base + 10, action="very late")
    very_late.row_mac = audit.row_mac(very_late)
    very_late.save(force_insert=True)
    if very_late.pk < base:
        assert audit.seal_pending() == 0
        assert audit.seal_pending(full=True) == 1
    assert verify_chain()[3] is None


@pytest.mark.django_db
def test_verify_audit_passes_on_an_intact_chain(nurse, capsys):
    _sealed_events(5, nurse)
    audit.record(actor=nurse, action="fresh, not sealed yet")
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "intact: 5 rows" in out and "1 rows awaiting the sealer" in out


@pytest.mark.django_db
def test_verify_audit_and_healthz_fail_on_rows_left_unsealed(nurse, client, settings):
    """A stopped sealer is noticed: rows older than AUDIT_UNSEALED_LIMIT_SECONDS fail."""
    event = audit.record(actor=nurse, action="a")
    assert client.get("/healthz").json()["checks"]["audit_sealer"] == "ok"
    later = event.occurred_at + dt.timedelta(seconds=settings.AUDIT_UNSEALED_LIMIT_SECONDS + 1)
    result = verify_log(now=later)
    assert result.stale_unsealed == 1 and "not sealed after 60 s" in result.problem
    ok, body = audit.seal_health(now=later)
    assert not ok and body["status"] == "error" and body["oldest_unsealed_seconds"] > 60
    settings.AUDIT_UNSEALED_LIMIT_SECONDS = 0
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["audit_sealer"] == "error"
    audit.seal_pending()
    assert client.get("/healthz").json()["checks"]["audit_sealer"] == "ok"


def _raw_update(sql: str, params: list) -> None:
    """Tamper the way an attacker with raw database access would (bypassing the model guard);
    on PostgreSQL the triggers (and foreign keys) are skipped for it, as only a superuser
    could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")
        else:
            cursor.execute("PRAGMA foreign_keys = ON")


def _forged_row(**fields) -> int:
    """Insert a row the way someone without the key would: plausible fields, made-up hashes."""
    fake = hashlib.sha256(b"forged").hexdigest()
    event = AuditEvent(action="a.forged", row_mac=fake, **fields)
    event.save(force_insert=True)
    return event.pk


# --- Tampering with sealed rows ---------------------------------------------------------------


@pytest.mark.django_db
def test_verify_audit_reports_the_first_altered_sealed_row(nurse):
    events = _sealed_events(5, nurse)
    _raw_update("UPDATE core_auditevent SET action = %s WHERE id = %s", ["a.forged", events[2].pk])
    _raw_update("UPDATE core_auditevent SET action = %s WHERE id = %s", ["a.forged", events[3].pk])
    with pytest.raises(CommandError, match=rf"row id={events[2].pk} .*content altered"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_verify_audit_reports_an_altered_row_even_with_its_row_mac_recomputed_by_sha(nurse):
    events = _sealed_events(2, nurse)
    fake = hashlib.sha256(b"forged").hexdigest()
    _raw_update("UPDATE core_auditseal SET row_hash = %s WHERE event_id = %s", [fake, events[1].pk])
    _, _, _, problem = verify_chain()
    assert problem and "content altered" in problem


@pytest.mark.django_db
def test_verify_audit_reports_a_removed_sealed_row(nurse):
    events = _sealed_events(4, nurse)
    # Row and its seal removed: the next seal no longer links.
    _raw_update("DELETE FROM core_auditseal WHERE event_id = %s", [events[1].pk])
    _raw_update("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    _, _, _, problem = verify_chain()
    assert problem and f"id={events[2].pk}" in problem and "removed or inserted" in problem


@pytest.mark.django_db
def test_verify_audit_reports_a_removed_row_whose_seal_remains(nurse):
    events = _sealed_events(3, nurse)
    _raw_update("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    _, _, _, problem = verify_chain()
    assert problem and f"row id={events[1].pk}: the row was removed" in problem
    # Django checks the deferred foreign keys when the test ends; leave them consistent.
    _raw_update("DELETE FROM core_auditseal WHERE event_id = %s", [events[1].pk])


@pytest.mark.django_db
def test_verify_audit_reports_an_inserted_sealed_row(nurse):
    """Someone without the key adds a row and a seal linking to the head: detected."""
    events = _sealed_events(2, nurse)
    pk = _forged_row()
    head = AuditSeal.objects.order_by("-id").first().row_hash
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditseal (event_id, prev_hash, row_hash, sealed_at) "
            "VALUES (%s, %s, %s, %s)",
            [pk, head, hashlib.sha256(b"x").hexdigest(), events[0].occurred_at],
        )
    _, _, _, problem = verify_chain()
    assert problem and f"row id={pk}" in problem and "content altered" in problem


# --- Tampering before the sealer ran (README "Audit log": the window) -------------------------


@pytest.mark.django_db
def test_an_unsealed_row_edited_before_sealing_is_still_detected(nurse):
    event = audit.record(actor=nurse, action="a.real")
    _raw_update("UPDATE core_auditevent SET action = %s WHERE id = %s", ["a.forged", event.pk])
    _, _, _, problem = verify_chain()
    assert problem and f"row id={event.pk}" in problem and "not sealed yet" in problem
    audit.seal_pending()  # the sealer links what it finds; the row MAC still gives it away
    _, _, _, problem = verify_chain()
    assert problem and f"row id={event.pk}" in problem and "content altered" in problem


@pytest.mark.django_db
def test_an_unsealed_row_inserted_without_the_key_is_detected(nurse):
    audit.record(actor=nurse, action="a.real")
    pk = _forged_row(actor_username="nurse1")
    _, _, _, problem = verify_chain()
    assert problem and f"row id={pk}" in problem and "forged" in problem
    audit.seal_pending()
    _, _, _, problem = verify_chain()
    assert problem and f"row id={pk}" in problem


@pytest.mark.django_db
def test_an_unsealed_row_removed_before_sealing_leaves_no_trace(nurse):
    """The known limit (README): until the sealer links a row (seconds), someone who can
    bypass the triggers can remove it unseen; the id gap looks like a rolled-back insert."""
    events = [audit.record(actor=nurse, action=f"a.{n}") for n in range(3)]
    _raw_update("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    audit.seal_pending()
    assert verify_chain()[3] is None and AuditSeal.objects.count() == 2


def test_verify_audit_exits_non_zero_from_the_shell():
    from cnt_detox.core.management.commands import verify_audit

    assert issubclass(verify_audit.Command, object)
    # CommandError -> exit status 1 under manage.py (Django's BaseCommand.run_from_argv).
    assert CommandError("x").returncode == 1


@pytest.mark.django_db
def test_seal_audit_command_and_task(nurse, capsys):
    from cnt_detox.core.tasks import seal_audit

    audit.record(actor=nurse, action="a")
    call_command("seal_audit")
    assert "Sealed 1 audit rows" in capsys.readouterr().out
    audit.record(actor=nurse, action="b")
    assert seal_audit.delay().get() == 1
    call_command("seal_audit", "--full")
    assert "Sealed 0 audit rows" in capsys.readouterr().out


# --- Concurrency (PostgreSQL) -----------------------------------------------------------------


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_two_sealers_keep_one_chain(nurse):
    """Eight threads append in their own transactions while two sealers run at once."""
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []
    done = threading.Event()

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                with transaction.atomic():
                    audit.record(actor=None, action=f"t.{n}.{i}")
        except BaseException as exc:  # re-raised below in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    def sealer() -> None:
        try:
            barrier.wait()
            while not done.is_set():
                audit.seal_pending(batch_size=7)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    writers = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    sealers = [threading.Thread(target=sealer) for _ in range(2)]
    for t in writers + sealers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in sealers:
        t.join()
    assert not errors
    audit.seal_pending()
    assert AuditSeal.objects.count() == AuditEvent.objects.count() == 80
    checked, _, _, problem = verify_chain()
    assert problem is None and checked == 80


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_open_audited_transaction_does_not_hold_up_another(nurse):
    """The first audited transaction stays open; the second commits within 1 s (before the
    sealer, every audited transaction waited for the previous one's COMMIT)."""
    inserted, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                audit.record(actor=None, action="first, stays open")
                inserted.set()
                release.wait(10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    holder = threading.Thread(target=first)
    holder.start()
    try:
        assert inserted.wait(5)
        # A sealer running meanwhile neither waits for the open row nor skips it for good.
        audit.seal_pending()
        started = time.monotonic()
        second_done = threading.Event()

        def second() -> None:
            try:
                with transaction.atomic():
                    audit.record(actor=None, action="second")
                second_done.set()
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        other = threading.Thread(target=second)
        other.start()
        assert second_done.wait(1.0), "the second audited transaction waited for the first"
        assert time.monotonic() - started < 1.0
        other.join()
    finally:
        release.set()
        holder.join()
    assert not errors
    audit.seal_pending()
    assert AuditSeal.objects.count() == 2 and verify_chain()[3] is None


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
            assert audit.seal_pending() == 2  # the sealer runs as this role too
            refused = [
                "UPDATE core_auditseal SET row_hash = 'x'",
                "DELETE FROM core_auditseal",
                "TRUNCATE core_auditseal",
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
