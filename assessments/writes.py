"""The rows a saved assessment brings with it, written in one round trip on PostgreSQL.

After the assessment's own INSERT (which decides, on its idempotency key, whether anything
is written at all) a save writes up to four more rows: its flag rows, the reassessment
schedule (upsert), at most one escalation and the audit event. They are independent of one
another and need only the assessment's id, so on PostgreSQL they go as ONE statement of
data-modifying CTEs (issue 12: the whole save request within 8 statements, BEGIN/COMMIT
counted). Each part is the INSERT Django's own compiler builds for ``bulk_create`` (same
columns, same values, same ON CONFLICT clause), so the stored rows are the ones the separate
statements stored. SQLite (development) has no writable CTEs: there the parts are executed
one after the other, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import AutoField, Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


@dataclass
class Insert:
    """One INSERT of ``rows`` (instances of one model), as ``bulk_create`` would send it."""

    rows: Sequence[Model]
    update_conflicts_on: Sequence[str] = ()  # unique fields: INSERT .. ON CONFLICT DO UPDATE
    update_fields: Sequence[str] = ()


def _compile(part: Insert, using: str) -> tuple[str, tuple[Any, ...]]:
    model = type(part.rows[0])
    opts = model._meta
    # What bulk_create does first: primary-key defaults, and foreign-key ids copied from
    # related objects saved after this instance was built (the assessment's new id).
    model._default_manager.using(using)._prepare_for_bulk_create(part.rows)
    fields = [f for f in opts.concrete_fields if not f.generated and not isinstance(f, AutoField)]
    query = InsertQuery(
        model,
        on_conflict=OnConflict.UPDATE if part.update_conflicts_on else None,
        update_fields=[opts.get_field(name) for name in part.update_fields],
        unique_fields=[opts.get_field(name) for name in part.update_conflicts_on],
    )
    query.insert_values(fields, part.rows)
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = [opts.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, tuple(params)


def _mark_saved(part: Insert, ids: list[Any], using: str) -> None:
    # As bulk_create leaves them: primary keys set, no longer "adding".
    for row, pk in zip(part.rows, ids, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = using


def _one_statement(using: str) -> bool:
    """Writable CTEs (INSERT inside WITH) are PostgreSQL's; SQLite has none."""
    return connections[using].vendor == "postgresql"


def insert_together(parts: Sequence[Insert]) -> None:
    """Insert every part's rows; on PostgreSQL in one statement. Sets each row's primary key.

    Must run inside the caller's transaction (the parts are written all or none with the
    write they belong to). Empty parts are skipped. The parts must not depend on one another:
    the sub-statements of one WITH run on the same snapshot and cannot see each other's rows.
    """
    parts = [p for p in parts if p.rows]
    if not parts:
        return
    using = router.db_for_write(type(parts[0].rows[0]))
    if not _one_statement(using) or len(parts) == 1:
        # One statement per part: exactly the bulk_create calls the save made before.
        for part in parts:
            type(part.rows[0])._default_manager.using(using).bulk_create(
                list(part.rows),
                update_conflicts=bool(part.update_conflicts_on),
                unique_fields=part.update_conflicts_on or None,
                update_fields=part.update_fields or None,
            )
        return
    compiled = [_compile(p, using) for p in parts]
    ctes = ", ".join(f"w{n} AS ({sql})" for n, (sql, _params) in enumerate(compiled))
    # Every sub-statement runs to completion whether or not the outer SELECT reads it; the
    # outer SELECT only hands back the new ids, tagged with their part.
    # Only integers and the compiled INSERTs go into the text; every value is a parameter.
    ids = " UNION ALL ".join(f"SELECT {n}, id FROM w{n}" for n in range(len(parts)))  # noqa: S608
    params = tuple(p for _sql, ps in compiled for p in ps)
    with connections[using].cursor() as cursor:
        cursor.execute(f"WITH {ctes} {ids}", params)
        returned = cursor.fetchall()
    for n, part in enumerate(parts):
        _mark_saved(part, [pk for tag, pk in returned if tag == n], using)
