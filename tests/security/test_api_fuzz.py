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
    return {user.role: api_token_issue(actor=user)[1] for user in (nurse, physician, admin_user)}


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


# --- Hostile input (issue 19): the same operations, with what a probe sends ---------------------
HOSTILE_STRINGS = (
    "a\x00b",
    "0001-01-01",
    "0001-01-01T00:00:00Z",
    "9999-12-31",
    "9999-12-31T23:59:59Z",
)
HOSTILE_EXAMPLES = int(os.environ.get("FUZZ_HOSTILE_EXAMPLES", "1"))
# Valid requests only: the hostile values are put in by the test itself, so generating
# invalid ones as well would only cost time.
hostile_schema = schemathesis.openapi.from_dict(_load_schema())
hostile_schema.config.generation.update(modes=[GenerationMode.POSITIVE])


def _replace_strings(value, bad: str):
    """``value`` with every string (keys kept) replaced by ``bad``, without recursion."""
    if not isinstance(value, dict | list):
        return bad if isinstance(value, str) else value
    root: list = [None]
    stack = [(value, root, 0)]
    while stack:
        node, parent, slot = stack.pop()
        if isinstance(node, dict):
            copy: dict | list = {}
            for key, child in node.items():
                copy[key] = None
                stack.append((child, copy, key))
        elif isinstance(node, list):
            copy = [None] * len(node)
            for index, child in enumerate(node):
                stack.append((child, copy, index))
        else:
            copy = bad if isinstance(node, str) else node
        parent[slot] = copy
    return root[0]


def _assert_refused_in_format(response, label: str, *statuses: int) -> None:
    assert response.status_code < 500, (label, response.status_code, response.content[:200])
    if response.status_code >= 400 and response.get("Content-Type", "").startswith(
        "application/json"
    ):
        body = response.json()
        assert {"code", "message", "fields"} <= set(body["error"]), (label, body)
    if statuses:
        assert response.status_code in statuses, (label, response.status_code)


def _has_strings(value) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


@pytest.mark.fuzz
@hostile_schema.parametrize()
@settings(
    max_examples=HOSTILE_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_refuses_hostile_input(case, tokens):
    """Requests from the schema, then: every string of the body and every query parameter
    replaced by a NUL byte or a date in year 1 or 9999; the body nested 5,000 deep; and a
    10 MB body. Each is a 4xx in the error format (413 for the size), never a 500. As the role
    the route is for (admins for reports, else a physician), so the input reaches the view."""
    from django.test import Client

    method, path = case.operation.method.upper(), case.formatted_path
    role = "admin" if "/reports/" in path else "physician"
    client = Client(HTTP_AUTHORIZATION=f"Token {tokens[role]}")
    query = dict(case.query or {})
    body = case.body if isinstance(case.body, dict | list) else None
    for bad in HOSTILE_STRINGS:
        hostile_query = dict.fromkeys(query, bad) or {"unit": bad}
        if method == "GET":
            response = client.get(path, hostile_query)
            sent_hostile = True
        else:
            sent_hostile = body is not None and _has_strings(body)
            payload = json.dumps(_replace_strings(body, bad) if body is not None else {})
            response = client.generic(method, path, payload, content_type="application/json")
        _assert_refused_in_format(response, f"{method} {path} {bad!r}")
        if sent_hostile and response.status_code < 400:
            raise AssertionError(f"{method} {path} accepted {bad!r}: {response.status_code}")
    if method in ("POST", "PUT", "PATCH"):
        deep = "[" * 5000 + "]" * 5000
        response = client.generic(method, path, deep, content_type="application/json")
        _assert_refused_in_format(response, f"{method} {path} deep")
        large = json.dumps({"x": "x" * (10 * 1024 * 1024)})
        response = client.generic(method, path, large, content_type="application/json")
        _assert_refused_in_format(response, f"{method} {path} 10 MB", 413)
