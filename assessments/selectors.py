"""Reads of assessments, always through the user's units (patients.selectors).

Another unit's admission or assessment is a 404, never a 403, so its existence is not
confirmed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from decimal import Decimal
from typing import Any

from django.db.models import Aggregate, F, Func, OuterRef, QuerySet, Subquery, TextField
from django.http import Http404
from django.utils.dateparse import parse_datetime

from assessments.models import (
    Assessment,
    AssessmentStatus,
    Escalation,
    EscalationStatus,
    ReassessmentSchedule,
)
from patients.models import Admission, AdmissionStatus, SubstanceUse
from patients.selectors import admission_ids_for_user, admissions_for_user


def admission_for_assessment(user: Any, public_id: uuid.UUID | str) -> Admission:
    """The admission with its unit's interval rules joined, so a save needs no extra read."""
    try:
        return (
            admissions_for_user(user)
            .select_related("unit__interval_rules")
            .get(public_id=public_id)
        )
    except (Admission.DoesNotExist, ValueError, TypeError):
        raise Http404("No such admission.") from None


# --- The save's reads in one statement ------------------------------------------------------
# A save needs the admission, its latest valid assessment (the "previous" one for the risk
# rules and the schedule) and its current substance rows (intake facts). Three SELECTs are
# three round trips on the hottest path of the app; as correlated subqueries returning JSON
# they ride on the admission's own SELECT (issue 12: the save within 8 queries). The columns
# below are exactly what assessments.facts.facts_of and patients.intake.intake_facts read.
_LATEST_FIELDS = (
    "id",
    "assessed_at",
    "total",
    "band",
    "items",
    "sedation_level",
    "seizure",
    "hallucinations",
    "confusion",
    "suicidal_thoughts",
    "unable_reason",
)
_SUBSTANCE_FIELDS = ("id", "position", "agent", "diazepam_mg", "last_dose_at")


class _JSONArray(Aggregate):
    """The grouped JSON objects as one JSON array, as text (PostgreSQL and SQLite)."""

    function = "JSON_AGG"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="%(function)s(%(expressions)s)::text")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY")


class _JSONRow(Func):
    """A JSON object of the named columns (``{"id": .., "total": ..}``), for the subqueries below.

    What ``Cast(JSONObject(id="id", ...), TextField())`` wrote, without its per-compile cost:
    JSONObject makes a key Value, a Cast and a TextField for every key each time the query is
    compiled (~40 model field objects per save, profiled). These keys are constant
    identifiers, written as SQL literals. ``as_text`` casts the object to text (a column on
    its own); inside an aggregate it stays JSON.
    """

    output_field = TextField()

    def __init__(self, *names: str, as_text: bool) -> None:
        if not all(name.isidentifier() for name in names):
            raise ValueError(f"not column names: {names!r}")
        self.names = names
        self.as_text = as_text
        super().__init__(*(F(name) for name in names))

    def _object(self, compiler: Any, function: str) -> tuple[str, list[Any]]:
        pairs: list[str] = []
        params: list[Any] = []
        for name, expression in zip(self.names, self.get_source_expressions(), strict=True):
            sql, expression_params = compiler.compile(expression)
            pairs.append(f"'{name}', {sql}")
            params.extend(expression_params)
        sql = f"{function}({', '.join(pairs)})"
        return (f"CAST({sql} AS text)" if self.as_text else sql), params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self._object(compiler, "JSONB_BUILD_OBJECT")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self._object(compiler, "JSON_OBJECT")


# Built once per process: constructing these expressions cost ~5 ms per save (profiled);
# annotate() copies a Subquery and clones its query before resolving, so reuse is safe.
@functools.cache
def _latest_valid_json() -> Subquery:
    return Subquery(
        Assessment.objects.filter(admission=OuterRef("pk"), status=AssessmentStatus.VALID)
        .order_by("-assessed_at", "-id")
        .values(j=_JSONRow(*_LATEST_FIELDS, as_text=True))[:1],
        output_field=TextField(),
    )


@functools.cache
def _substances_json() -> Subquery:
    # SubstanceUse.objects is the current-rows manager: rows removed in an intake edit are out.
    row = _JSONRow(*_SUBSTANCE_FIELDS, as_text=False)
    return Subquery(
        SubstanceUse.objects.filter(admission=OuterRef("pk"))
        .order_by()
        .values("admission_id")
        .annotate(rows=_JSONArray(row))
        .values("rows"),
        output_field=TextField(),
    )


def _json(value: Any) -> Any:
    """SQLite nests a JSON column as a string; PostgreSQL as JSON."""
    return json.loads(value) if isinstance(value, str) else value


def _aware(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _decimal(value: Any, places: int) -> Decimal | None:
    if value is None:
        return None
    # str() first: SQLite hands back a float; its shortest repr is the stored decimal.
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))


def _latest_from_json(text: str | None, admission: Admission) -> Assessment | None:
    if not text:
        return None
    data = json.loads(text)
    data["items"] = _json(data["items"])
    flags = ("seizure", "hallucinations", "confusion", "suicidal_thoughts")
    values = {f: data[f] for f in _LATEST_FIELDS}
    values["assessed_at"] = _aware(data["assessed_at"])
    values["band"] = values["band"] or ""
    values["unable_reason"] = values["unable_reason"] or ""
    for name in flags:
        values[name] = bool(values[name])
    latest = Assessment(admission=admission, status=AssessmentStatus.VALID, **values)
    latest._state.adding = False  # a row read from the database, not a new one
    return latest


def _substances_from_json(text: str | None, admission: Admission) -> list[SubstanceUse]:
    places = SubstanceUse._meta.get_field("diazepam_mg").decimal_places
    rows = sorted(json.loads(text or "[]") or [], key=lambda r: (r["position"], r["id"]))
    substances = []
    for row in rows:
        substance = SubstanceUse(
            admission=admission,
            id=row["id"],
            position=row["position"],
            agent=row["agent"],
            diazepam_mg=_decimal(row["diazepam_mg"], places),
            last_dose_at=_aware(row["last_dose_at"]),
        )
        substance._state.adding = False
        substances.append(substance)
    return substances


def admission_for_save(user: Any, public_id: uuid.UUID | str) -> Admission:
    """``admission_for_assessment`` plus, in the same SELECT, what a save reads: the latest
    valid assessment (``admission.latest_valid``) and the current substance rows
    (``admission.current_substances``). Both reflect the moment of this read, exactly as the
    separate SELECTs did (READ COMMITTED either way)."""
    try:
        admission = (
            admissions_for_user(user)
            .select_related("unit__interval_rules")
            .annotate(
                _latest_json=_latest_valid_json(),
                _substances_json=_substances_json(),
            )
            .get(public_id=public_id)
        )
    except (Admission.DoesNotExist, ValueError, TypeError):
        raise Http404("No such admission.") from None
    admission.latest_valid = _latest_from_json(admission._latest_json, admission)
    admission.current_substances = _substances_from_json(admission._substances_json, admission)
    return admission


def assessments_for_user(user: Any) -> QuerySet[Assessment]:
    return Assessment.objects.filter(admission__in=admission_ids_for_user(user)).select_related(
        "admission__patient", "admission__unit", "admission__bed", "entered_by", "error_marked_by"
    )


def assessment_for_user(user: Any, public_id: uuid.UUID | str) -> Assessment:
    try:
        return assessments_for_user(user).get(public_id=public_id)
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such assessment.") from None


def assessments_for_admission(admission: Admission) -> QuerySet[Assessment]:
    """Every assessment of an admission, entered-in-error ones included (shown struck)."""
    return (
        Assessment.objects.filter(admission=admission)
        .select_related("entered_by", "error_marked_by")
        .order_by("assessed_at", "id")
    )


def latest_valid_assessment(admission: Admission) -> Assessment | None:
    return (
        Assessment.objects.filter(admission=admission, status=AssessmentStatus.VALID)
        .order_by("-assessed_at", "-id")
        .first()
    )


def schedule_for_admission(admission: Admission) -> ReassessmentSchedule | None:
    return ReassessmentSchedule.objects.filter(admission=admission).first()


def patient_page_context(user: Any, admission: Admission, now: Any) -> dict[str, Any]:
    """Latest CIWA-B and the next check for the patient page (registered in apps.py)."""
    schedule = schedule_for_admission(admission)
    active = schedule is not None and schedule.active
    return {
        "latest_assessment": latest_valid_assessment(admission),
        "schedule": schedule if active else None,
        "overdue": bool(active and schedule.next_due_at < now),
    }


def open_escalations(
    *, raised_by: dt.datetime | None = None, escalation_id: int | None = None
) -> list[Escalation]:
    """Unacknowledged escalations of open admissions, with their admission, for the reminders.

    ``raised_by`` keeps only those raised at or before that time (the sweep's ``now``);
    ``escalation_id`` picks one (notify a just-raised escalation at once). Not scoped to a user:
    the reminders feature decides who is told through the unit's roster.
    """
    rows = Escalation.objects.filter(
        admission__status=AdmissionStatus.OPEN,
        admission__discharged_at__isnull=True,
        status=EscalationStatus.OPEN,
    )
    if escalation_id is not None:
        rows = rows.filter(pk=escalation_id)
    if raised_by is not None:
        rows = rows.filter(created_at__lte=raised_by)
    return list(rows.select_related("admission"))
