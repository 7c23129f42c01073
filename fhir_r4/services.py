"""Writes of the FHIR app: audit of every read, receiving a CIWA-B entry, export jobs.

Every FHIR read and export leaves an audit event naming the patients (architecture.md:
"every read of a patient record ... and every export leaves an audit event").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.models import Assessment
from assessments.services import CreateResult, assessment_create
from cnt_detox.core import audit, export_files
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from cnt_detox.core.queue import enqueue_after_commit
from fhir_r4.models import ExportJob, ExportStatus, ReceivedResponse
from fhir_r4.receive import Identifier, Received
from patients.models import Admission

EXPORT_TASK = "fhir.run_export"


def read_audit(
    *,
    actor: User,
    resource_type: str,
    resource_id: str,
    patient: Any,
    client: Client | None = None,
) -> None:
    audit.record(
        actor=actor,
        action=AuditAction.FHIR_RESOURCE_READ,
        object_type=f"fhir.{resource_type.lower()}",
        object_id=resource_id[:64],
        patient=patient,
        client=client,
        details={"resource": f"{resource_type}/{resource_id}"},
    )


def everything_audit(
    *, actor: User, admission: Admission, resources: int, client: Client | None
) -> None:
    audit.record(
        actor=actor,
        action=AuditAction.FHIR_EVERYTHING_READ,
        obj=admission,
        patient=admission.patient,
        client=client,
        details={"resources": resources},
    )


# --- Receiving a CIWA-B entry -----------------------------------------------------------------
@dataclass(frozen=True)
class ReceiveResult:
    assessment: Assessment
    created: bool


def response_receive(
    *,
    admission: Admission,
    actor: User,
    received: Received,
    identifier: Identifier | None,
    client: Client | None = None,
) -> ReceiveResult:
    """Save a received entry through the bedside service, idempotent on its identifier.

    The identifier becomes the service's idempotency key (uuid5 of system|value), so the
    INSERT itself decides between a first delivery and a resend; the sender's identifier is
    kept beside the assessment in the same transaction. A resend with different content
    raises ``assessments.services.IdempotencyMismatch``.
    """
    key = identifier.key() if identifier else None
    with transaction.atomic():
        result: CreateResult = assessment_create(
            admission=admission,
            actor=actor,
            entry=received.entry,
            idempotency_key=key,
            client=client,
        )
        if result.created and identifier is not None:
            try:
                with transaction.atomic():
                    ReceivedResponse.objects.create(
                        assessment=result.assessment,
                        system=identifier.system[:255],
                        value=identifier.value[:255],
                        received_by=actor,
                    )
            except IntegrityError:
                # Same system|value stored for another entry (key collision is impossible, a
                # truncated identifier is not): keep the assessment, the key still dedupes.
                pass
        if result.created:
            audit.record(
                actor=actor,
                action=AuditAction.FHIR_QUESTIONNAIRE_RESPONSE_RECEIVED,
                obj=result.assessment,
                patient=admission.patient,
                client=client,
                details={
                    "identifier": f"{identifier.system}|{identifier.value}" if identifier else ""
                },
            )
    return ReceiveResult(result.assessment, result.created)


# --- Bulk export ------------------------------------------------------------------------------
def export_dir(job: ExportJob) -> Path:
    return export_files.job_folder(settings.FHIR_EXPORT_DIR, job.public_id)


def export_request(
    *,
    actor: User,
    unit_ids: list[int],
    unit: Any,
    types: list[str],
    since: dt.datetime | None,
    request_url: str,
    client: Client | None = None,
) -> ExportJob:
    """Create an export job and queue its task after commit (the worker claims it)."""
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=actor,
            unit=unit,
            unit_ids=unit_ids,
            types=types,
            since=since,
            request_url=request_url[:2000],
        )
        audit.record(
            actor=actor,
            action=AuditAction.FHIR_EXPORT_REQUESTED,
            obj=job,
            client=client,
            details={
                "types": types,
                "since": since,
                "unit": unit.public_id if unit else None,
                "request": request_url[:500],
            },
        )
        enqueue_after_commit(EXPORT_TASK, job.pk)
    return job


def remove_files(job: ExportJob) -> None:
    export_files.remove_job_folder(settings.FHIR_EXPORT_DIR, job.public_id)


def export_cancel(*, actor: User, job: ExportJob, client: Client | None = None) -> None:
    """DELETE on the status URL: stop a running export (the worker checks between stays) or
    remove a finished one's files."""
    with transaction.atomic():
        old = job.status
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.CANCELLED, finished_at=timezone.now()
        )
        audit.record(
            actor=actor,
            action=AuditAction.FHIR_EXPORT_CANCELLED,
            obj=job,
            client=client,
            changes={"status": {"old": old, "new": ExportStatus.CANCELLED}},
        )
    if old not in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        remove_files(job)


def export_download_audit(
    *, actor: User, job: ExportJob, filename: str, client: Client | None
) -> None:
    audit.record(
        actor=actor,
        action=AuditAction.FHIR_EXPORT_DOWNLOADED,
        obj=job,
        client=client,
        details={"file": filename, "patients": list(job.patients)},
    )


def exports_purge(now: dt.datetime | None = None) -> int:
    """Remove files of exports past their retention time (FHIR_EXPORT_RETENTION_HOURS) and of
    cancelled or failed ones; the job rows stay as the record of what was exported."""
    now = now or timezone.now()
    expired = list(
        ExportJob.objects.filter(status=ExportStatus.COMPLETED, expires_at__lte=now)
    ) + list(
        ExportJob.objects.filter(
            status__in=(ExportStatus.CANCELLED, ExportStatus.FAILED),
            finished_at__lte=now - dt.timedelta(minutes=5),
        )
    )
    for job in expired:
        remove_files(job)
    ExportJob.objects.filter(
        pk__in=[j.pk for j in expired if j.status == ExportStatus.COMPLETED]
    ).update(status=ExportStatus.EXPIRED)
    return len(expired)


def completed_audit(job: ExportJob, patients: Iterable[str]) -> None:
    audit.record(
        actor=job.requested_by,
        action=AuditAction.FHIR_EXPORT_COMPLETED,
        obj=job,
        details={"patients": list(patients), "output": job.output},
    )
