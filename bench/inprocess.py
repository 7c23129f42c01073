"""In-process measurements: endpoint discovery, query counts, and the reminder sweep.

``python bench/inprocess.py discover|queries|sweep STATE.json OUT.json`` with DATABASE_URL
set. Query counts use Django's test client and ``CaptureQueriesContext`` against the seeded
PostgreSQL database, so they count what a real request runs (authentication included).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.djsetup import setup

PLACEHOLDER = uuid.UUID(int=0)
HIDDEN_INPUT = re.compile(r"<input[^>]*type=\"hidden\"[^>]*>")
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')

# Body of a taper preview: the regimen of a typical admission (alprazolam 4 mg/day).
TAPER_BODY = {
    "agents": [{"agent": "alprazolam", "daily_dose_mg": "4"}],
    "target_agent": "diazepam",
    "strategy": "inpatient",
    "start_date": None,  # filled with today
    "age": 45,
}


def _reverse(name: str, **placeholders: str) -> str | None:
    """The URL of ``name`` with UUID placeholders, or None when the route does not exist."""
    from django.urls import NoReverseMatch, reverse

    try:
        if not placeholders:
            return reverse(name)
        ((kwarg, marker),) = placeholders.items()
        return reverse(name, kwargs={kwarg: PLACEHOLDER}).replace(str(PLACEHOLDER), marker)
    except NoReverseMatch:
        return None


def discover() -> dict[str, Any]:
    """Which scenarios exist on this build; a missing route makes its scenario "not available"."""
    body = dict(TAPER_BODY, start_date=dt.date.today().isoformat())
    board = _reverse("reports:board")
    create_plan = _reverse("api-admission-taper-plans", admission_id="ADMISSION")
    sign = _reverse("api-taper-sign", plan_id="PLAN")
    endpoints: dict[str, Any] = {
        "noop": {"url": _reverse("bench:noop")},
        "floor": {"url": _reverse("bench:floor")},
        "api_save": {"url": _reverse("api-assessment-create")},
        "page_save": {"url": _reverse("assessments:new", admission_id="ADMISSION")},
        "timeline": {"url": _reverse("assessments:timeline", admission_id="ADMISSION")},
        "board": {"url": f"{board}?unit=UNIT" if board else None},
        "taper_preview": {"url": _reverse("api-taper-preview"), "body": body},
        "sign": {"url": sign, "create_url": create_plan, "sign_url": sign, "body": body},
        "login_cycle": {"url": _reverse("login")},
    }
    return {k: (v if v["url"] else None) for k, v in endpoints.items()}


@contextmanager
def counting():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ctx = CaptureQueriesContext(connection)
    with ctx:
        yield ctx


TX_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def _statements(ctx: Any) -> int:
    """Queries other than transaction control (Django 4.2+ logs BEGIN/COMMIT as queries)."""
    return sum(1 for q in ctx.captured_queries if not q["sql"].startswith(TX_CONTROL))


def _sql_list(ctx: Any) -> list[str]:
    return [re.sub(r"\s+", " ", q["sql"])[:160] for q in ctx.captured_queries]


def _form_fields(html: str) -> list[tuple[str, str]]:
    fields = []
    for tag in HIDDEN_INPUT.findall(html):
        attrs = dict(ATTR.findall(tag))
        if "name" in attrs:
            fields.append((attrs["name"], attrs.get("value", "")))
    return fields


def queries(state: dict[str, Any], endpoints: dict[str, Any]) -> dict[str, Any]:
    """Queries per request for the save paths, the board and the timeline (varying rows)."""
    from django.db import transaction
    from django.test import Client

    from cnt_detox.core.models import User
    from cnt_detox.core.services import api_token_issue

    unit = state["units"][0]
    nurse = User.objects.get(username=unit["nurse"])
    _, key = api_token_issue(actor=nurse)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}", enforce_csrf_checks=False)
    page = Client()
    page.force_login(nurse)
    out: dict[str, Any] = {}
    admissions = unit["admissions"]

    if endpoints.get("api_save"):
        counts, stmts, last = [], [], None
        for i in range(5):
            body = {"admission": admissions[i]["public_id"], "items": [1] * 10 + [0] * 10}
            with counting() as ctx:
                resp = api.post(
                    endpoints["api_save"]["url"],
                    body,
                    content_type="application/json",
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
            counts.append(len(ctx))
            stmts.append(_statements(ctx))
            last = ctx
            if resp.status_code != 201:
                out["api_save_error"] = f"{resp.status_code}: {resp.content[:300]!r}"
        out["api_save"] = {"counts": counts, "statements": stmts, "sql": _sql_list(last)}
        # A retry with the same key (idempotent replay) is also a save from the client's view.
        key = str(uuid.uuid4())
        body = {"admission": admissions[5]["public_id"], "items": [2] * 10 + [0] * 10}
        api.post(
            endpoints["api_save"]["url"],
            body,
            content_type="application/json",
            headers={"Idempotency-Key": key},
        )
        with counting() as ctx:
            api.post(
                endpoints["api_save"]["url"],
                body,
                content_type="application/json",
                headers={"Idempotency-Key": key},
            )
        out["api_save_replay"] = {"counts": [len(ctx)], "sql": _sql_list(ctx)}

    if endpoints.get("page_save"):
        counts, stmts, last, get_counts = [], [], None, []
        for i in range(3):
            url = endpoints["page_save"]["url"].replace(
                "ADMISSION", admissions[10 + i]["public_id"]
            )
            with counting() as ctx:
                resp = page.get(url)
            get_counts.append(len(ctx))
            fields = dict(_form_fields(resp.content.decode()))
            fields.update({f"item_{n}": "1" for n in range(1, 21)})
            fields["sedation_level"] = "0"
            with counting() as ctx:
                resp = page.post(url, fields)
            counts.append(len(ctx))
            stmts.append(_statements(ctx))
            last = ctx
            if resp.status_code not in (302, 303):
                out["page_save_error"] = f"{resp.status_code}: {resp.content[:300]!r}"
        out["page_form_get"] = {"counts": get_counts}
        out["page_save"] = {"counts": counts, "statements": stmts, "sql": _sql_list(last)}

    if endpoints.get("taper_preview"):
        with counting() as ctx:
            api.post(
                endpoints["taper_preview"]["url"],
                endpoints["taper_preview"]["body"],
                content_type="application/json",
            )
        out["taper_preview"] = {"counts": [len(ctx)], "sql": _sql_list(ctx)}

    # Constant in patient count: measure, change the row count, measure again, roll back.
    if endpoints.get("board"):
        url = endpoints["board"]["url"].replace("UNIT", unit["public_id"])
        with transaction.atomic():
            page.get(url)  # warm caches (content types, sessions) so both counts compare
            with counting() as ctx:
                page.get(url)
            full = len(ctx)
            from patients.models import Admission

            ids = [a["id"] for a in admissions[7:]]
            now = dt.datetime.now(dt.UTC)
            Admission.objects.filter(pk__in=ids).update(status="discharged", discharged_at=now)
            with counting() as ctx:
                page.get(url)
            fewer = len(ctx)
            transaction.set_rollback(True)
        out["board"] = {"patients": {str(len(admissions)): full, "7": fewer}, "sql": _sql_list(ctx)}

    if endpoints.get("timeline"):
        from assessments.models import Assessment

        adm = admissions[0]
        url = endpoints["timeline"]["url"].replace("ADMISSION", adm["public_id"])
        with transaction.atomic():
            page.get(url)
            before_n = Assessment.objects.filter(admission_id=adm["id"]).count()
            with counting() as ctx:
                page.get(url)
            before = len(ctx)
            template = Assessment.objects.filter(admission_id=adm["id"]).first()
            now = dt.datetime.now(dt.UTC)
            extra = []
            for i in range(200):
                template.pk = None
                template.public_id = uuid.uuid4()
                template.idempotency_key = None
                template.assessed_at = now - dt.timedelta(minutes=5 * (i + 1))
                extra.append(
                    Assessment(
                        **{
                            f.attname: getattr(template, f.attname)
                            for f in Assessment._meta.concrete_fields
                        }
                    )
                )
            Assessment.objects.bulk_create(extra)
            with counting() as ctx:
                page.get(url)
            after = len(ctx)
            transaction.set_rollback(True)
        out["timeline"] = {
            "assessments": {str(before_n): before, str(before_n + 200): after},
            "sql": _sql_list(ctx),
        }
    return out


def _explain(sql: str, params: Any, analyze: bool) -> str:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        opts = "ANALYZE, BUFFERS" if analyze else "COSTS"
        cursor.execute(f"EXPLAIN ({opts}) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def sweep() -> dict[str, Any]:
    """Time the reminders feature's sweep if present; EXPLAIN the due-query either way."""
    from django.db import connection
    from django.utils import timezone

    from assessments.models import ReassessmentSchedule

    out: dict[str, Any] = {}
    due = ReassessmentSchedule.objects.filter(active=True, next_due_at__lte=timezone.now())
    out["open_schedules"] = ReassessmentSchedule.objects.filter(active=True).count()
    out["due_now"] = due.count()
    sql, params = due.select_related("admission").order_by("next_due_at").query.sql_with_params()
    out["due_query"] = sql
    out["due_query_plan"] = _explain(sql, params, analyze=True)
    try:
        from notifications import services as notification_services
    except ImportError:
        out["sweep"] = "not available (notifications.services is not on this build)"
        return out
    fn = getattr(notification_services, "sweep", None)
    if fn is None:
        out["sweep"] = "not available (notifications.services.sweep missing)"
        return out
    runs = []
    labels = (
        "first sweep (creates reminders)",
        "second sweep (nothing new)",
        "idle sweep (every reminder sent and delivered)",
    )
    for label in labels:
        if label.startswith("idle"):
            # The steady state of a live system: a worker has delivered what the first sweep
            # created, so the sweep neither creates nor queues anything (issue 12 target).
            from notifications.models import DeliveryStatus, Notification

            Notification.objects.filter(delivered_at__isnull=True).update(
                status=DeliveryStatus.DELIVERED, delivered_at=timezone.now()
            )
        with counting() as ctx:
            started = time.perf_counter()
            result = fn()
            seconds = time.perf_counter() - started
        runs.append(
            {
                "label": label,
                "seconds": round(seconds, 3),
                "queries": len(ctx),
                "result": repr(result)[:300],
                "sql": [
                    (re.sub(r"\s+", " ", q["sql"])[:300], q["time"]) for q in ctx.captured_queries
                ],
            }
        )
    out["sweep"] = runs
    # Plans of the sweep's own reads (no ANALYZE for writes: EXPLAIN only, nothing runs).
    plans = []
    for q in ctx.captured_queries:
        text = q["sql"].strip()
        if text.upper().startswith(("SELECT", "WITH")) and "FROM" in text.upper():
            try:
                plans.append(
                    {
                        "sql": re.sub(r"\s+", " ", text)[:400],
                        "plan": _explain(text, None, analyze=False),
                    }
                )
            except Exception as exc:  # a query with literal params may not re-parse
                plans.append({"sql": text[:200], "plan": f"(no plan: {exc})"})
    out["sweep_plans"] = plans[:8]
    out["vendor"] = connection.vendor
    return out


def main() -> None:
    what, state_path, out_path = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    setup()
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    if what == "discover":
        result = discover()
    elif what == "queries":
        result = queries(state, discover())
    else:
        result = sweep()
    out_path.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
