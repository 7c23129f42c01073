"""Audit events of the reports app: board views and exports.

The board and the reports only read, so these are the only writes; each is a single audit
row, in autocommit (there is no other write to share a transaction with).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import AuditEvent, User


def board_view_audit(
    *,
    actor: User,
    client: Client | None = None,
    unit_public_ids: Sequence[str],
    admission_public_ids: Sequence[str],
    background: bool,
) -> AuditEvent:
    """One row per board view, and one per background refresh (a refresh is a read too).

    One row listing every admission shown, not one per patient: the board is one read of a
    list, and per-patient rows every 30 s would drown the audit log.
    """
    return audit.record(
        actor=actor,
        action=AuditAction.BOARD_REFRESHED if background else AuditAction.BOARD_VIEWED,
        object_type="reports.board",
        client=client,
        details={
            "units": list(unit_public_ids),
            "admissions": list(admission_public_ids),
            "count": len(admission_public_ids),
        },
    )


def period_view_audit(
    *,
    actor: User,
    client: Client | None = None,
    params: dict[str, Any],
    admission_ids: Sequence[str],
) -> AuditEvent:
    return audit.record(
        actor=actor,
        action=AuditAction.PERIOD_REPORT_VIEWED,
        object_type="reports.period",
        client=client,
        details={"params": params, "admissions": list(admission_ids)},
    )


def export_audit(
    *,
    actor: User,
    client: Client | None = None,
    kind: str,
    fmt: str,
    params: dict[str, Any],
    filename: str,
    rows: int,
    sha256: str,
    completed: bool,
) -> AuditEvent:
    """One row per export, written when the file has been produced (or the stream broke)."""
    return audit.record(
        actor=actor,
        action=AuditAction.REPORT_EXPORTED,
        object_type=f"reports.{kind}",
        client=client,
        details={
            "kind": kind,
            "format": fmt,
            "params": params,
            "filename": filename,
            "rows": rows,
            "sha256": sha256,
            "completed": completed,
        },
    )
