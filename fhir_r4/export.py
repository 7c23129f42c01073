"""The bulk export run (Bulk Data Access IG "$export"), called by the Celery task.

Memory stays flat whatever the size: admissions are loaded a few at a time with everything
their resources need (``selectors.load_stays``: a fixed number of queries per chunk), and each
resource is written to its NDJSON file as soon as it is built; nothing is collected. Each chunk
also reports progress and notices a cancel (DELETE), so a cancelled export stops within one
chunk. The job is claimed with a conditional UPDATE, so a redelivered task does nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone

from cnt_detox.core import export_files
from fhir_r4 import services
from fhir_r4.bundle import stay_resources
from fhir_r4.models import ExportJob, ExportStatus
from fhir_r4.selectors import admissions_by_pks, export_admission_pks, load_stays

logger = logging.getLogger("fhir.export")
# Admissions per load: a stay holds a few hundred assessments at most, so 20 stays keep a
# chunk to a few thousand rows (bench/fhir_export.py measures the peak).
CHUNK_ADMISSIONS = 20


class NdjsonFiles:
    """One ``<Type>.ndjson`` file per resource type, opened on its first resource."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.handles: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = {}

    def write(self, resource: dict[str, Any]) -> None:
        kind = resource["resourceType"]
        handle = self.handles.get(kind)
        if handle is None:
            handle = (self.folder / f"{kind}.ndjson").open("w", encoding="utf-8")
            self.handles[kind] = handle
            self.counts[kind] = 0
        handle.write(json.dumps(resource, separators=(",", ":"), ensure_ascii=False))
        handle.write("\n")
        self.counts[kind] += 1

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


def _still_running(job: ExportJob, progress: str) -> bool:
    # The conditional UPDATE doubles as the cancel check: a DELETE has set "cancelled".
    return bool(
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(progress=progress)
    )


def _write_all(job: ExportJob, files: NdjsonFiles) -> list[str] | None:
    """Write every stay in scope; the exported patients' ids, or None when cancelled."""
    types = frozenset(job.types) if job.types else None
    pks = export_admission_pks(job.unit_ids)
    seen: dict[int, str] = {}
    for start in range(0, len(pks), CHUNK_ADMISSIONS):
        chunk = admissions_by_pks(pks[start : start + CHUNK_ADMISSIONS])
        for stay in load_stays(chunk):
            patient = stay.admission.patient
            first = patient.pk not in seen
            wrote = False
            for resource in stay_resources(
                stay, types=types, since=job.since, include_patient=first
            ):
                files.write(resource)
                wrote = True
            if wrote and first:
                seen[patient.pk] = str(patient.public_id)
        done = min(start + CHUNK_ADMISSIONS, len(pks))
        if not _still_running(job, f"{done}/{len(pks)} stays"):
            return None
    return list(seen.values())


def run_export(job_id: int) -> None:
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=now, transaction_time=now, progress="starting"
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    folder = export_files.make_job_folder(settings.FHIR_EXPORT_DIR, job.public_id)
    files = NdjsonFiles(folder)
    try:
        patients = _write_all(job, files)
    except Exception:
        error_id = uuid.uuid4().hex[:12]
        logger.exception("FHIR export %s failed (error id %s)", job.public_id, error_id)
        files.close()
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED,
            finished_at=timezone.now(),
            error=f"The export failed on the server (error id {error_id}).",
        )
        services.remove_files(job)
        return
    files.close()
    if patients is None:
        services.remove_files(job)
        return
    finished = timezone.now()
    job.output = [{"type": t, "file": f"{t}.ndjson", "count": c} for t, c in files.counts.items()]
    job.patients = patients
    updated = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.COMPLETED,
        finished_at=finished,
        expires_at=finished + dt.timedelta(hours=settings.FHIR_EXPORT_RETENTION_HOURS),
        output=job.output,
        patients=patients,
        progress="done",
    )
    if not updated:
        services.remove_files(job)
        return
    services.completed_audit(job, patients)
