"""Celery tasks of the FHIR app: ids in, one call, nothing else. Both are idempotent (the
export claims its job with a conditional UPDATE; the purge only removes what is past due)."""

from __future__ import annotations

from celery import shared_task

from fhir_r4 import export, services


@shared_task(name="fhir.run_export", ignore_result=True, acks_late=True)
def run_export(job_id: int) -> None:
    export.run_export(int(job_id))


@shared_task(name="fhir.purge_exports", ignore_result=True)
def purge_exports() -> None:
    services.exports_purge()
