"""Every tapering API answer has the shape its OpenAPI schema declares (issue 17).

The output serializers in tapering/serializers.py declare the fields for the schema and write
the bodies in ``to_representation``; this walks real responses against the served schema so
the two cannot drift apart (a key added to a body and not to its serializer fails here).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.tapering.test_plan_api import plan_url, plans_url


@pytest.fixture
def schema(api, nurse) -> dict[str, Any]:
    response = api(nurse).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node or ("allOf" in node and len(node["allOf"]) == 1):
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        else:
            node = node["allOf"][0]
    if "oneOf" in node:  # nullable nested objects
        objects = [_resolve(schema, n) for n in node["oneOf"] if n.get("type") != "null"]
        return objects[0] if len(objects) == 1 else node
    return node


def _check(schema: dict[str, Any], node: dict[str, Any], value: Any, where: str) -> None:
    node = _resolve(schema, node)
    if value is None:
        return
    if "properties" in node:
        assert isinstance(value, dict), where
        assert set(value) == set(node["properties"]), (
            f"{where}: body keys {sorted(value)} != schema {sorted(node['properties'])}"
        )
        for key, sub in node["properties"].items():
            _check(schema, sub, value[key], f"{where}.{key}")
    elif node.get("type") == "array" and "items" in node:
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            _check(schema, node["items"], item, f"{where}[{i}]")


def _response_schema(schema: dict[str, Any], path: str, method: str, code: int) -> dict[str, Any]:
    operation = schema["paths"][path][method]
    content = operation["responses"][str(code)]["content"]["application/json"]
    return content["schema"]


def _assert_shape(schema, path, method, response):
    body = response.json()
    node = _response_schema(schema, path, method, response.status_code)
    _check(schema, node, body, f"{method.upper()} {path}")
    return body


@pytest.mark.django_db
def test_no_tapering_response_is_a_bare_object(schema):
    for path, operations in schema["paths"].items():
        if "taper" not in path and "dose" not in path:
            continue
        for method, operation in operations.items():
            for code, response in operation.get("responses", {}).items():
                if not code.startswith("2"):
                    continue
                node = _resolve(schema, response["content"]["application/json"]["schema"])
                if node.get("type") == "array":
                    node = _resolve(schema, node["items"])
                assert node.get("properties"), f"{method.upper()} {path} {code}: no shape"


@pytest.mark.django_db
def test_plan_and_dose_responses_match_their_schema(
    schema, api, physician, nurse, admission, plan_data, monkeypatch
):
    from tests.tapering.conftest import sign_before_first_dose

    doctor = api(physician)
    _assert_shape(
        schema,
        "/api/v1/taper-previews/",
        "post",
        doctor.post("/api/v1/taper-previews/", plan_data, format="json"),
    )
    created = doctor.post(plans_url(admission), plan_data, format="json")
    assert created.status_code == 201
    _assert_shape(schema, "/api/v1/admissions/{admission_id}/taper-plans/", "post", created)

    from tapering.models import TaperPlan

    plan = TaperPlan.objects.get(public_id=created.json()["id"])
    sign_before_first_dose(monkeypatch, plan, physician)
    body = _assert_shape(
        schema, "/api/v1/taper-plans/{plan_id}/", "get", doctor.get(plan_url(plan))
    )
    assert body["signature"] is not None
    _assert_shape(
        schema,
        "/api/v1/admissions/{admission_id}/taper-plans/",
        "get",
        doctor.get(plans_url(admission)),
    )

    bedside = api(nurse)
    day = _assert_shape(
        schema,
        "/api/v1/admissions/{admission_id}/doses/",
        "get",
        bedside.get(f"/api/v1/admissions/{admission.public_id}/doses/"),
    )
    given = bedside.post(
        f"/api/v1/scheduled-doses/{day['doses'][0]['id']}/administrations/",
        {"outcome": "given"},
        format="json",
    )
    assert given.status_code == 201
    _assert_shape(schema, "/api/v1/scheduled-doses/{dose_id}/administrations/", "post", given)
    recorded = bedside.get(f"/api/v1/admissions/{admission.public_id}/doses/").json()
    _check(
        schema,
        _response_schema(schema, "/api/v1/admissions/{admission_id}/doses/", "get", 200),
        recorded,
        "doses with a record",
    )
    assert recorded["doses"][0]["record"] is not None
    marked = bedside.post(
        f"/api/v1/dose-administrations/{given.json()['id']}/entered-in-error/",
        {"reason": "wrong patient"},
        format="json",
    )
    assert marked.status_code == 200
    _assert_shape(
        schema, "/api/v1/dose-administrations/{record_id}/entered-in-error/", "post", marked
    )

    amended = doctor.post(plan_url(plan, "amend"), {"reason": "review"}, format="json")
    assert amended.status_code == 201
    _assert_shape(schema, "/api/v1/taper-plans/{plan_id}/amend/", "post", amended)
