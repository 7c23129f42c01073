"""Two baselines for the load benchmark: the cheapest possible answer, and the database floor.

``noop`` touches nothing: it measures the server, the middleware stack and the network.
``floor`` does, in raw SQL inside one transaction, the writes that saving an assessment
must do (the assessment row and its audit row) and answers a small JSON body. The gap
between ``floor`` and the real endpoint is the cost of our own code (validation, scoring,
rules, schedule, serialisation, authentication).

Neither view authenticates or checks anything: they exist only when settings.BENCH_VIEWS
is on, which the settings refuse in production.
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from assessments.models import Assessment
from cnt_detox.core.audit import row_mac
from cnt_detox.core.models import AuditEvent

# A realistic scored entry (total 12, band "mild"): the same bytes the real endpoint stores.
_ITEMS = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]


def noop(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


@functools.cache
def _insert_sql(model: Any) -> tuple[str, list[Any]]:
    """INSERT ... RETURNING id for every concrete column of ``model`` except the key.

    Built from the model's metadata once, so the floor keeps writing a complete row when
    the assessments app adds columns.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", fields


def _values(fields: list[Any], overrides: dict[str, Any]) -> list[Any]:
    values = []
    for field in fields:
        value = overrides[field.attname] if field.attname in overrides else field.get_default()
        values.append(field.get_db_prep_save(value, connection))
    return values


@csrf_exempt
@require_POST
def floor(request: HttpRequest) -> JsonResponse | HttpResponseBadRequest:
    """Body: ``{"admission_id": int, "user_id": int, "username", "patient_public_id"}``."""
    try:
        body = json.loads(request.body)
        admission_id, user_id = int(body["admission_id"]), int(body["user_id"])
        username = str(body.get("username", ""))
        patient_public_id = (
            uuid.UUID(body["patient_public_id"]) if body.get("patient_public_id") else None
        )
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest(b"admission_id and user_id are required")
    now = timezone.now()
    public_id = uuid.uuid4()
    assessment_sql, assessment_fields = _insert_sql(Assessment)
    audit_sql, audit_fields = _insert_sql(AuditEvent)
    assessment = {
        "public_id": public_id,
        "admission_id": admission_id,
        "assessed_at": now,
        "recorded_at": now,
        "entered_by_id": user_id,
        "idempotency_key": uuid.uuid4(),
        "items": _ITEMS,
        "total": sum(_ITEMS),
        "band": "mild",
        "next_due_at": now,
        "status": "valid",
    }
    audit = {
        "public_id": uuid.uuid4(),
        "occurred_at": now,
        "actor_id": user_id,
        "actor_username": username,
        "action": "assessment.created",
        "object_type": "assessments.assessment",
        "object_id": str(public_id),
        "patient_public_id": patient_public_id,
        "ip_address": request.META.get("REMOTE_ADDR"),
        "changes": {},
        "details": {"total": sum(_ITEMS), "band": "mild"},
    }
    # The real save's audit row carries its own HMAC (cnt_detox.core.audit.row_mac); so does
    # the floor's, so the sealer and verify_audit treat it like any other row.
    audit["row_mac"] = row_mac(AuditEvent(**audit))
    # One transaction, like the real save: both rows or neither.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(assessment_sql, _values(assessment_fields, assessment))
        cursor.execute(audit_sql, _values(audit_fields, audit))
    return JsonResponse({"id": str(public_id), "total": sum(_ITEMS)}, status=201)
