"""Building an export job's file in the worker (task ``reports.run_export``).

The file is the one the streaming export gives for the same parameters: the same table
(reports/tables.py) through the same writers (CSV: cnt_detox/core/csv_export.py, XLSX:
reports/exports.write_xlsx), written to ``REPORT_EXPORT_DIR/<job id>/`` under a temporary name
and renamed when complete. Memory stays flat as for the streaming export: rows come from
``QuerySet.iterator`` and go straight to the file.

Claimed with a conditional UPDATE (queued -> running), so a redelivered or re-sent task does
nothing. Progress (``rows_done``) is written every ``PROGRESS_EVERY_ROWS`` rows, not per row;
the same conditional UPDATE notices that the sweep has failed the job meanwhile, and the run
stops and removes its file.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cnt_detox.core import audit, export_files
from cnt_detox.core.csv_export import XLSX_TYPE, ExportTable, csv_chunks
from patients.models import Unit
from reports import exports, tables
from reports.models import ExportJob, ExportJobStatus, ExportKind
from reports.period import Period, assessment_row_count

logger = logging.getLogger("reports.export")
# 100,000 rows give 50 progress writes: the bar moves every second or so at the measured
# speed, without a write per row.
PROGRESS_EVERY_ROWS = 2000
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}


class _Stopped(Exception):
    """The job is no longer ours (failed by the sweep): stop writing."""


def job_path(job: ExportJob) -> Path:
    return export_files.job_folder(settings.REPORT_EXPORT_DIR, job.public_id) / job.file_name


def file_gone(job: ExportJob) -> bool:
    """Expired, past its time but not yet swept, or removed by hand: gone all the same."""
    if job.status == ExportJobStatus.EXPIRED:
        return True
    if job.status != ExportJobStatus.DONE:
        return False
    if job.expires_at and job.expires_at <= timezone.now():
        return True
    return not job_path(job).is_file()


def _set_progress(job_pk: int, **fields: Any) -> None:
    if not ExportJob.objects.filter(pk=job_pk, status=ExportJobStatus.RUNNING).update(**fields):
        raise _Stopped


def _counted(job_pk: int, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    for done, values in enumerate(rows, 1):
        yield values
        if done % PROGRESS_EVERY_ROWS == 0:
            _set_progress(job_pk, rows_done=done)


def build_table(job: ExportJob, now: dt.datetime) -> tuple[ExportTable, int]:
    """The table the streaming export would give for the job's parameters, and its row count."""
    actor = job.requested_by
    if job.kind == ExportKind.CENSUS:
        at = dt.datetime.fromisoformat(job.params["at"]) if job.params.get("at") else None
        units = list(Unit.objects.filter(pk__in=job.unit_ids).order_by("name"))
        table = tables.census_table(unit=job.unit, units=units, at=at, now=now, actor=actor)
        # A census is one row per occupied bed: cheap to hold, and the count is then exact.
        table.rows = list(table.rows)
        return table, len(table.rows)
    assert job.unit is not None  # period jobs always name their unit
    period = Period(
        job.unit,
        dt.date.fromisoformat(job.params["start"]),
        dt.date.fromisoformat(job.params["end"]),
    )
    if job.kind == ExportKind.PERIOD_ASSESSMENTS:
        total = assessment_row_count(period)
        return tables.period_table(period=period, rows="assessments", now=now, actor=actor), total
    table = tables.period_table(period=period, rows="admissions", now=now, actor=actor)
    table.rows = list(table.rows)
    return table, len(table.rows)


def _write(job: ExportJob, table: ExportTable, path: Path) -> tuple[int, str]:
    """Write the file to its partial name; (rows, digest written inside the file)."""
    partial = export_files.partial_path(path)
    with partial.open("wb") as out:
        if job.format == "xlsx":
            return exports.write_xlsx(table, out)
        result: dict[str, Any] = {}

        def on_done(rows: int, digest: str, completed: bool) -> None:
            result.update(rows=rows, digest=digest)

        for chunk in csv_chunks(table, on_done):
            out.write(chunk)
        return result["rows"], result["digest"]


def export_job_run(*, job_id: int) -> None:
    """Claim the job and build its file; marks it done or failed. A second call does nothing."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJobStatus.QUEUED).update(
        status=ExportJobStatus.RUNNING, started_at=now, rows_done=0
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("requested_by", "unit").get(pk=job_id)
    folder = export_files.make_job_folder(settings.REPORT_EXPORT_DIR, job.public_id)
    try:
        table, total = build_table(job, now)
        job.file_name = f"{table.filename_stem}.{job.format}"
        _set_progress(job.pk, rows_total=total, file_name=job.file_name)
        table.rows = _counted(job.pk, table.rows)
        path = folder / job.file_name
        rows, digest = _write(job, table, path)
        export_files.publish(path)
    except _Stopped:
        export_files.remove_job_folder(settings.REPORT_EXPORT_DIR, job.public_id)
        return
    except Exception:
        error_id = uuid.uuid4().hex[:12]
        logger.exception("Report export %s failed (error id %s)", job.public_id, error_id)
        export_files.remove_job_folder(settings.REPORT_EXPORT_DIR, job.public_id)
        _finish(
            job,
            status=ExportJobStatus.FAILED,
            error=(
                "The export failed on the server. Start it again; if it fails again, "
                f"tell the help desk the error id {error_id}."
            ),
        )
        return
    finished = timezone.now()
    _finish(
        job,
        status=ExportJobStatus.DONE,
        rows_done=rows,
        rows_total=rows,
        file_size=path.stat().st_size,
        file_sha256=export_files.file_sha256(path),
        content_sha256=digest,
        expires_at=finished + dt.timedelta(hours=settings.REPORT_EXPORT_RETENTION_HOURS),
    )


def _finish(job: ExportJob, *, status: str, **fields: Any) -> None:
    # Why a transaction: the status change and its audit row stand or fall together; the
    # condition (still running) keeps a job the sweep failed meanwhile failed.
    with transaction.atomic():
        updated = ExportJob.objects.filter(pk=job.pk, status=ExportJobStatus.RUNNING).update(
            status=status, finished_at=timezone.now(), **fields
        )
        if not updated:
            export_files.remove_job_folder(settings.REPORT_EXPORT_DIR, job.public_id)
            return
        audit.record(
            actor=job.requested_by,
            action=f"report.export_job.{status}",
            obj=job,
            details={
                "kind": job.kind,
                "format": job.format,
                "params": job.params,
                "rows": fields.get("rows_done"),
                "sha256": fields.get("content_sha256", ""),
                "error": fields.get("error", ""),
            },
        )
