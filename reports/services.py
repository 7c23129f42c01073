"""Writes of the reports app: audit events of board views and exports, and export jobs.

The board and the reports only read, so their audit rows are single rows in autocommit (there
is no other write to share a transaction with). Export jobs (a long export built by the
worker, downloaded from its page) are requested, swept and downloaded here; the worker's run
is reports/jobs.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cnt_detox.core import audit, export_files
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import AuditEvent, User
from cnt_detox.core.queue import enqueue_after_commit
from reports.forms import CensusForm, PeriodForm
from reports.models import ExportJob, ExportJobStatus, ExportKind

RUN_TASK = "reports.run_export"
# A queued job whose task has not started this long after it was sent is sent again (the
# broker may have lost it, or the publishing process died first); the claim makes a duplicate
# harmless. Well above the time a free worker needs to pick a task up.
REQUEUE_AFTER = dt.timedelta(minutes=2)


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


# --- Export jobs --------------------------------------------------------------------------------
class ExportRequestInvalid(ValidationError):
    """Bad export parameters: the form (to show again with its errors) and the field errors
    (the API answers 400 with them, as for any Django ValidationError)."""

    def __init__(self, form: Any) -> None:
        super().__init__({k: list(v) for k, v in form.errors.items()})
        self.form = form


def export_form(kind: str, data: Mapping[str, Any] | None, user: Any) -> CensusForm | PeriodForm:
    """The form of the streaming export, limited to the formats a job writes (CSV, XLSX)."""
    form_class = CensusForm if kind == "census" else PeriodForm
    return form_class(data, user=user, formats=("csv", "xlsx"))


def export_job_request(
    *, actor: User, kind: str, data: Mapping[str, Any], client: Client | None = None
) -> ExportJob:
    """Validate like the streaming export, create the job, audit it and queue the task after
    commit. ``kind``: "census" or "period" (``data["rows"]`` picks stays or assessments).

    Raises ExportRequestInvalid (nothing saved) on bad parameters, Http404 for a unit that is
    not the admin's.
    """
    if kind not in ("census", "period"):
        raise ValidationError({"kind": ["Choose census or period."]})
    form = export_form(kind, data, actor)
    if not form.is_valid():
        raise ExportRequestInvalid(form)
    cleaned = form.cleaned_data
    unit = cleaned["unit"]
    if kind == "census":
        job_kind = ExportKind.CENSUS
        params: dict[str, Any] = {"at": cleaned["at"].isoformat() if cleaned["at"] else None}
    else:
        job_kind = ExportKind(f"period_{cleaned['rows']}")
        params = {"start": cleaned["start"].isoformat(), "end": cleaned["end"].isoformat()}
    # The scope is fixed now, as the request had it: a later change of the admin's units
    # does not widen what this job exports.
    unit_ids = [unit.pk] if unit else [u.pk for u in form.units]
    # Why a transaction: the job, its audit row and the queued task go together or not at all.
    with transaction.atomic():
        job = ExportJob(
            requested_by=actor,
            unit=unit,
            unit_ids=unit_ids,
            kind=job_kind,
            format=cleaned["format"],
            params=params,
        )
        job.full_clean()
        job.save()
        audit.record(
            actor=actor,
            action=AuditAction.EXPORT_JOB_REQUESTED,
            obj=job,
            client=client,
            details={
                "kind": job_kind.value,
                "format": job.format,
                "params": {**params, "unit": str(unit.public_id) if unit else "all"},
                "units": [str(u.public_id) for u in form.units if u.pk in unit_ids],
            },
        )
        enqueue_after_commit(RUN_TASK, job.pk)
    return job


def export_job_download(*, actor: User, job: ExportJob, client: Client | None) -> AuditEvent:
    """A download of a finished job's file is the export leaving the building: one
    ``report.exported`` row per download with the row count and digest, as for the streaming
    export (so counting those rows still counts the exports), naming the job."""
    params = {**job.params, "unit": str(job.unit.public_id) if job.unit else "all"}
    event = export_audit(
        actor=actor,
        client=client,
        kind=job.kind,
        fmt=job.format,
        params={**params, "job": str(job.public_id)},
        filename=job.file_name,
        rows=job.rows_done,
        sha256=job.content_sha256,
        completed=True,
    )
    return event


def export_jobs_sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Beat, every minute: the database says what is due, so nothing is lost with the broker.

    - queued and not started ``REQUEUE_AFTER`` after it was last sent: send again;
    - queued or running ``REPORT_EXPORT_STUCK_MINUTES`` after the request: failed, in words;
    - done and past ``expires_at``: the file is deleted and the job marked expired (the row
      stays as the record); failed jobs' leftover files are deleted too.
    """
    now = now or timezone.now()
    stuck_before = now - dt.timedelta(minutes=settings.REPORT_EXPORT_STUCK_MINUTES)
    counts = {"requeued": 0, "failed": 0, "expired": 0}

    stuck = list(
        ExportJob.objects.filter(
            status__in=(ExportJobStatus.QUEUED, ExportJobStatus.RUNNING),
            created_at__lte=stuck_before,
        ).select_related("requested_by")
    )
    for job in stuck:
        with transaction.atomic():
            # Conditional: the worker may finish it between the read and this update.
            if not ExportJob.objects.filter(pk=job.pk, status=job.status).update(
                status=ExportJobStatus.FAILED,
                finished_at=now,
                error=(
                    "The export did not finish in time and was stopped (the background "
                    "worker may have been down). Start it again."
                ),
            ):
                continue
            audit.record(
                actor=job.requested_by,
                action=AuditAction.EXPORT_JOB_FAILED,
                obj=job,
                details={"reason": "stuck", "was": job.status},
            )
        counts["failed"] += 1

    for pk in ExportJob.objects.filter(
        status=ExportJobStatus.QUEUED, enqueued_at__lte=now - REQUEUE_AFTER
    ).values_list("pk", flat=True):
        # Claim the re-send too: two sweeps at once send it once.
        if ExportJob.objects.filter(
            pk=pk, status=ExportJobStatus.QUEUED, enqueued_at__lte=now - REQUEUE_AFTER
        ).update(enqueued_at=now):
            enqueue_after_commit(RUN_TASK, pk)
            counts["requeued"] += 1

    expired = list(
        ExportJob.objects.filter(
            Q(status=ExportJobStatus.DONE, expires_at__lte=now)
            | Q(status=ExportJobStatus.FAILED, finished_at__gte=now - dt.timedelta(days=1))
        ).select_related("requested_by")
    )
    for job in expired:
        export_files.remove_job_folder(settings.REPORT_EXPORT_DIR, job.public_id)
        if job.status != ExportJobStatus.DONE:
            continue
        with transaction.atomic():
            if ExportJob.objects.filter(pk=job.pk, status=ExportJobStatus.DONE).update(
                status=ExportJobStatus.EXPIRED
            ):
                audit.record(
                    actor=job.requested_by,
                    action=AuditAction.EXPORT_JOB_EXPIRED,
                    obj=job,
                    details={"file": job.file_name},
                )
                counts["expired"] += 1
    return counts
