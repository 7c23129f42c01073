"""Celery tasks of the reports app: ids in, one call, nothing else. Both are idempotent (the
run claims its job with a conditional UPDATE; the sweep only acts on what is due)."""

from __future__ import annotations

from celery import shared_task

from reports import jobs, services


@shared_task(name="reports.run_export", ignore_result=True, acks_late=True)
def run_export(job_id: int) -> None:
    jobs.export_job_run(job_id=int(job_id))


@shared_task(name="reports.sweep_exports", ignore_result=True)
def sweep_exports() -> None:
    services.export_jobs_sweep()
