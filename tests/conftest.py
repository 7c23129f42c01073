"""Shared fixtures: units, users of each role, API clients.

The database is real: SQLite by default, PostgreSQL when DATABASE_URL points at it (CI).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from kombu import pools as kombu_pools
from rest_framework.test import APIClient

from cnt_detox.celery import app as celery_app
from cnt_detox.core.models import User
from cnt_detox.core.roles import Role, user_set_role
from patients.models import Bed, Unit

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session", autouse=True)
def _broker_per_xdist_worker():
    """Each xdist process gets its own Redis database as the broker (CI: 14 and 15).

    The real-worker tests (notifications, FHIR and report exports) start a Celery worker on
    the broker. Two of them running at once in two xdist processes shared one queue, so one
    process's worker took the other's task and looked for its job in its own test database
    (where it does not exist): the job never finished.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = celery_app.conf.broker_url or ""
    if worker.startswith("gw") and url.startswith("redis://"):
        parts = urlsplit(url)
        base = int(parts.path.strip("/") or 0)
        url = urlunsplit(parts._replace(path=f"/{(base + int(worker[2:])) % 16}"))
        celery_app.conf.broker_url = url
        django_settings.CELERY_BROKER_URL = url
        kombu_pools.reset()
    return url


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # The real hasher costs ~0.4 s per login here; tests that measure it live in bench/.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_second_signature_unless_asked(settings):
    # Most tests sign 100 mg/day plans and test what follows (doses, amendments, reports);
    # the specialist's second signature they would need (issue 15, on in production) is
    # tested on its own in tests/tapering/test_second_signature.py, which turns it back on.
    settings.TAPER_SECOND_SIGNATURE = False


@pytest.fixture(autouse=True)
def _eager_celery():
    """Run queued tasks in-process unless a test starts a real worker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def unit(db) -> Unit:
    unit = Unit.objects.create(name="Ward 1", time_zone="Europe/London")
    for n in range(1, 5):
        Bed.objects.create(unit=unit, label=f"B{n}")
    return unit


@pytest.fixture
def other_unit(db) -> Unit:
    unit = Unit.objects.create(name="Ward 2", time_zone="America/New_York")
    for n in range(1, 3):
        Bed.objects.create(unit=unit, label=f"C{n}")
    return unit


@pytest.fixture
def bed(unit) -> Bed:
    return unit.beds.order_by("label").first()


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(username: str, role: str, *units: Unit) -> User:
        user = User.objects.create_user(
            username=username, password=PASSWORD, first_name=username.title(), last_name="Test"
        )
        user_set_role(user, role)
        user.units.add(*units)
        return user

    return make


@pytest.fixture
def nurse(make_user, unit) -> User:
    return make_user("nurse1", Role.NURSE, unit)


@pytest.fixture
def physician(make_user, unit) -> User:
    return make_user("doc1", Role.PHYSICIAN, unit)


@pytest.fixture
def admin_user(make_user, unit) -> User:
    return make_user("admin1", Role.ADMIN, unit)


@pytest.fixture
def other_nurse(make_user, other_unit) -> User:
    """A nurse of another unit: must never see the first unit's patients."""
    return make_user("nurse2", Role.NURSE, other_unit)


@pytest.fixture
def other_physician(make_user, other_unit) -> User:
    return make_user("doc2", Role.PHYSICIAN, other_unit)


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    def client_for(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return client_for


@pytest.fixture(autouse=True)
def _allow_test_flush_of_audit_table(request):
    """Let Django's end-of-test flush TRUNCATE the append-only audit table on PostgreSQL.

    Transactional tests (and the live server) end with a TRUNCATE of every table, which the
    audit trigger rightly refuses. ``session_replication_role = replica`` skips ordinary
    triggers; only a superuser may set it, which the test database user is and the app's
    runtime role must never be. It is set only for the flush and reset before each test.
    """
    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or (
        "transactional_db" in names or "live_server" in names
    )
    if not transactional:
        yield
        return
    # Set up the database fixture first so that its flush runs after this teardown.
    request.getfixturevalue("_django_db_helper")
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = origin")
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
