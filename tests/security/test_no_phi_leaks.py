"""No patient identifiers in application logs or in URLs' query strings.

Representative traffic: every discovered route as the unit's own nurse, physician and admin
(GET, and POST with empty data), failed logins, emergency access by MRN, the audit viewer
filtered by MRN, a server error. Everything logged at DEBUG and above is captured; the
patients' MRNs and names must not appear in it, nor in any redirect or link query string.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.walker import discover_routes, objects_with_ids, urls_for

pytestmark = pytest.mark.django_db
HREF = re.compile(r"""(?:href|action|src)\s*=\s*["']([^"']*)["']""", re.I)


@pytest.fixture
def identifiers(seeded) -> list[str]:
    from patients.models import Patient

    values = []
    for patient in Patient.objects.all():
        values += [patient.mrn, patient.first_name + " " + patient.last_name, patient.last_name]
    return values


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def test_no_patient_identifiers_in_logs_or_query_strings(
    caplog, seeded, identifiers, nurse, physician, admin_user, other_physician, settings
):
    settings.DEBUG = False
    caplog.set_level(logging.DEBUG)
    pool = objects_with_ids()
    routes = discover_routes()
    query_problems: list[str] = []

    def inspect(url: str, response) -> None:
        targets = []
        if response.has_header("Location"):
            targets.append(response["Location"])
        if "html" in response.get("Content-Type", ""):
            targets += HREF.findall(_body(response))
        for target in targets:
            query = urlsplit(target).query
            for value in identifiers:
                if value and value in query:
                    query_problems.append(f"{url} -> {target}")

    for user in (nurse, physician, admin_user):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for route in routes:
            for url in urls_for(route, pool):
                inspect(url, client.get(url))
                inspect(url, client.post(url, {}))

    anon = Client(raise_request_exception=False)
    patient = seeded.patients[0]
    anon.post(reverse("login"), {"username": patient.mrn, "password": patient.last_name})
    anon.post("/api/v1/auth/token/", {"username": patient.mrn, "password": "x"})

    outsider = Client(raise_request_exception=False)
    outsider.force_login(other_physician)
    inspect(
        "emergency",
        outsider.post(
            reverse("patients:emergency"), {"mrn": patient.mrn, "reason": "collapsed in the lift"}
        ),
    )
    inspect(
        "emergency-bad",
        outsider.post(reverse("patients:emergency"), {"mrn": patient.mrn, "reason": "x"}),
    )

    admin = Client(raise_request_exception=False)
    admin.force_login(admin_user)
    inspect("audit", admin.post(reverse("core:audit"), {"mrn": patient.mrn}))
    inspect("audit-export", admin.post(reverse("core:audit"), {"mrn": patient.mrn, "export": "1"}))

    logged = "\n".join(
        f"{r.name}: {r.getMessage()} {r.args!r} {getattr(r, 'request', '')}" for r in caplog.records
    )
    leaked = [value for value in identifiers if value and value in logged]
    assert not leaked, f"patient identifiers in logs: {leaked}"
    assert not query_problems, "\n".join(query_problems)
    assert caplog.records, "the capture saw nothing: the test is not measuring anything"
