"""Fuzz every API operation from the OpenAPI schema (schemathesis), as each role.

No 500s and no responses that contradict the schema. Hypothesis is bounded
(FUZZ_EXAMPLES per operation and role) so the whole file stays well under two minutes;
set FUZZ_EXAMPLES higher locally to dig deeper. Operations land in the schema as features
add them, so this file needs no change when they do.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from cnt_detox.core.services import api_token_issue
from tests.factories import make_admission, make_assessment

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# The schema and its UI describe the API rather than being part of it.
SKIP_PATHS = ("/api/v1/schema/", "/api/v1/docs/")


def _load_schema() -> dict:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    data = json.loads(OpenApiJsonRenderer().render(raw))
    data["paths"] = {p: v for p, v in data["paths"].items() if p not in SKIP_PATHS}
    return data


schema = schemathesis.openapi.from_dict(_load_schema())
# Valid and invalid input: bad input must come back as a 4xx in the error format, never 500.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
APP = get_wsgi_application()
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def same_connection():
    """Keep the WSGI app on the test's database connection (and its transaction).

    Django closes "old" connections at the end of each request; inside a test transaction
    that would drop the connection and the test data with it. Django's own test client
    switches this off the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db, same_connection, unit, other_unit, nurse, physician, admin_user, other_nurse):
    first = make_admission(unit, by=nurse)
    make_assessment(first, by=nurse, total=14)
    make_admission(other_unit, by=other_nurse)
    return {user.role: api_token_issue(user=user)[1] for user in (nurse, physician, admin_user)}


@pytest.mark.fuzz
@pytest.mark.parametrize("role", ["nurse", "physician", "admin"])
@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_survives_fuzzing(case, role, tokens):
    response = case.call(app=APP, headers={"Authorization": f"Token {tokens[role]}"})
    if os.environ.get("FUZZ_VERBOSE"):
        print(case.method, case.formatted_path, response.status_code)
    case.validate_response(response, checks=CHECKS)
