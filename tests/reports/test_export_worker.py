"""Export job end to end through a real Celery worker on the real Redis (CELERY_BROKER_URL):
the page starts the job, a separate worker process builds the file into REPORT_EXPORT_DIR, the
test polls the job page until the download link shows and downloads the file."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from kombu import pools as kombu_pools

from cnt_detox.celery import app
from reports import exports
from reports.models import ExportJob
from tests.notifications.procs import Procs, require_real_services, wait_for
from tests.publish_wait import wait_for_pending
from tests.reports.test_export_jobs import body, week

BOUND_SECONDS = 60


@pytest.fixture
def real_worker(transactional_db, tmp_path, settings):
    require_real_services()
    folder = tmp_path / "report-exports"
    settings.REPORT_EXPORT_DIR = folder
    app.conf.task_always_eager = False
    # Fresh connections, as in tests/fhir/test_export_worker.py: an earlier broker-down test
    # in this process may have left Celery's pools pointing at a dead broker.
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    procs = Procs(tmp_path, app.conf.broker_url, REPORT_EXPORT_DIR=str(folder))
    yield procs
    procs.stop_all()
    app.conf.task_always_eager = True


@pytest.mark.slow
@pytest.mark.redis
def test_export_job_through_a_real_worker(real_worker, client, admin_user, seeded, unit):
    real_worker.worker()
    client.force_login(admin_user)
    p = week(unit, seeded.now)
    response = client.post(
        reverse("reports:export-start"),
        {"kind": "period", **p, "rows": "assessments", "format": "xlsx"},
    )
    assert response.status_code == 303
    assert wait_for_pending(10)
    job = ExportJob.objects.get()
    download_url = reverse("reports:export-download", args=[job.public_id])

    def finished():
        return download_url in client.get(response["Location"]).content.decode()

    try:
        wait_for(finished, BOUND_SECONDS, "export job not finished in time")
    except AssertionError:
        print(real_worker.logs())
        raise
    job.refresh_from_db()
    assert job.status == "done" and job.rows_done == 5 and job.started_at
    data = body(client.get(download_url))
    assert exports.verify_xlsx(io.BytesIO(data))
