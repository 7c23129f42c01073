"""Bulk export end to end: a real Celery worker on the real Redis (CELERY_BROKER_URL) runs the
export queued by the kick-off; the test polls the status URL and downloads every file."""

from __future__ import annotations

import json

import pytest
from kombu import pools as kombu_pools

from cnt_detox.celery import app
from tests.fhir.conftest import make_stay, validate
from tests.notifications.procs import Procs, require_real_services, wait_for
from tests.publish_wait import wait_for_pending

BOUND_SECONDS = 60


@pytest.fixture
def real_worker(transactional_db, tmp_path, settings):
    require_real_services()
    folder = tmp_path / "exports"
    settings.FHIR_EXPORT_DIR = folder
    app.conf.task_always_eager = False
    # Fresh connections: a broker-down test earlier in this process may have left Celery's
    # pools pointing at a dead broker (tests/assessments/test_concurrency_and_broker.py).
    kombu_pools.reset()  # kombu keeps its own producer pools per connection, closed by then
    app._pool = None
    app.amqp._producer_pool = None
    procs = Procs(tmp_path, app.conf.broker_url, FHIR_EXPORT_DIR=str(folder))
    yield procs
    procs.stop_all()
    app.conf.task_always_eager = True


@pytest.mark.slow
@pytest.mark.redis
def test_export_through_a_real_worker(real_worker, api, unit, nurse, physician, admin_user):
    stay = make_stay(unit, nurse, physician)
    real_worker.worker()
    client = api(admin_user)
    kickoff = client.get(
        "/fhir/R4/Patient/$export",
        {"_type": "Patient,QuestionnaireResponse,MedicationAdministration"},
        HTTP_PREFER="respond-async",
    )
    assert kickoff.status_code == 202
    assert wait_for_pending(10)
    status_url = kickoff["Content-Location"].split("testserver", 1)[1]

    def finished():
        response = client.get(status_url)
        assert response.status_code in (200, 202), response.content
        return response if response.status_code == 200 else None

    try:
        manifest = wait_for(finished, BOUND_SECONDS, "export not finished in time").json()
    except AssertionError:
        print(real_worker.logs())
        raise
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert counts == {
        "Patient": 1,
        "QuestionnaireResponse": len(stay.assessments),
        "MedicationAdministration": 4,
    }
    for output in manifest["output"]:
        response = client.get(output["url"].split("testserver", 1)[1])
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == output["count"]
        for line in lines:
            validate(json.loads(line))
    assert api().get(manifest["output"][0]["url"].split("testserver", 1)[1]).status_code == 401
