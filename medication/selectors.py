"""Reads of medication orders and the day's dose record, through the admission access helper."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from clinical.medication import GivenDose, diazepam_equivalent, total_24h
from clinical.taper.rounding import format_mg
from cnt_detox.core.registry import TimelineMarker
from medication.models import (
    DoseOutcome,
    DoseStatus,
    FormularyItem,
    MedicationDose,
    MedicationOrder,
    OrderKind,
    OrderStatus,
)
from patients.selectors import admissions_for_user
from tapering import selectors as taper_selectors
from tapering.models import DoseAdministration, Outcome, RecordStatus


def orders_for_user(user: Any) -> QuerySet[MedicationOrder]:
    return MedicationOrder.objects.filter(admission__in=admissions_for_user(user)).select_related(
        "item", "admission__patient", "admission__unit", "signed_by"
    )


def order_for_user(user: Any, public_id: uuid.UUID | str) -> MedicationOrder:
    try:
        return orders_for_user(user).get(public_id=public_id)
    except (MedicationOrder.DoesNotExist, ValueError, TypeError):
        raise Http404("No such order.") from None


def dose_for_user(user: Any, public_id: uuid.UUID | str) -> MedicationDose:
    try:
        return MedicationDose.objects.select_related("order__admission__patient").get(
            public_id=public_id, order__admission__in=admissions_for_user(user)
        )
    except (MedicationDose.DoesNotExist, ValueError, TypeError):
        raise Http404("No such dose record.") from None


def benzodiazepine_doses_given(
    admission: Any, since: dt.datetime, until: dt.datetime | None = None
) -> list[GivenDose]:
    """Taper doses and benzodiazepine order doses given after ``since`` (and before ``until``),
    valid records only: a dose entered in error leaves the total. Two queries."""
    window: dict[str, Any] = {"occurred_at__gt": since}
    if until is not None:
        window["occurred_at__lt"] = until
    taper = DoseAdministration.objects.filter(
        scheduled_dose__plan__admission=admission,
        status=RecordStatus.VALID,
        outcome=Outcome.GIVEN,
        **window,
    ).values_list("scheduled_dose__plan__target_agent", "scheduled_dose__mg", "occurred_at")
    orders = MedicationDose.objects.filter(
        order__admission=admission,
        order__item__is_benzodiazepine=True,
        status=DoseStatus.VALID,
        outcome=DoseOutcome.GIVEN,
        **window,
    ).values_list("order__item__agent", "mg", "occurred_at")
    return [GivenDose(agent, mg, at) for agent, mg, at in [*taper, *orders]]


def active_orders(admission: Any) -> list[MedicationOrder]:
    return list(
        MedicationOrder.objects.filter(admission=admission, status=OrderStatus.ACTIVE)
        .select_related("item", "signed_by")
        .order_by("kind", "item__name")
    )


def formulary() -> QuerySet[FormularyItem]:
    return FormularyItem.objects.filter(active=True).order_by("name")


@dataclass
class RecordLine:
    """One line of the day's dose record: a taper dose, a scheduled order dose or a PRN dose."""

    at: dt.datetime  # due time, or when given for PRN
    source: str  # "taper", "scheduled", "prn"
    medicine: str
    mg: Decimal
    state: str  # recorded / due / late / missed / upcoming / given / held / refused
    outcome: str
    recorded_by: str
    diazepam_mg: Decimal | None
    total_24h_mg: Decimal | None
    sedating: bool
    order: MedicationOrder | None = None
    dose_id: Any = None
    override_reason: str = ""
    given_at: dt.datetime | None = None


def day_record(admission: Any, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    """Every dose of every medicine on the unit-local ``day``, in time order, with the running
    24-hour diazepam-equivalent total of benzodiazepines given (a fixed number of queries)."""
    tz = admission.unit.tz
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=1)
    lines: list[RecordLine] = []
    taper_rows = taper_selectors.doses_for_day(admission, day, now)
    plan_agent = taper_rows[0].dose.plan.target_agent if taper_rows else ""
    # Benzodiazepine given from 24 h before the day to its end: the running totals read it.
    given = benzodiazepine_doses_given(admission, start - dt.timedelta(hours=24), until=end)
    for row in taper_rows:
        record = row.record
        outcome = record.outcome if record else ""
        lines.append(
            RecordLine(
                at=row.dose.due_at,
                source="taper",
                medicine=f"{plan_agent.capitalize()} (taper plan)",
                mg=row.dose.mg,
                state=row.state,
                outcome=outcome,
                recorded_by=record.recorded_by.display_name if record else "",
                diazepam_mg=diazepam_equivalent(plan_agent, row.dose.mg) if plan_agent else None,
                total_24h_mg=None,
                sedating=True,
                given_at=record.occurred_at if record else None,
            )
        )
    orders = list(
        MedicationOrder.objects.filter(admission=admission, starts_at__lt=end)
        .exclude(status=OrderStatus.SUPERSEDED, status_changed_at__lt=start)
        .select_related("item")
    )
    doses = list(
        MedicationDose.objects.filter(
            order__admission=admission,
            status=DoseStatus.VALID,
            occurred_at__gte=start - dt.timedelta(hours=24),
            occurred_at__lt=end,
        ).select_related("order__item", "recorded_by")
    )
    by_due = {(d.order_id, d.due_at): d for d in doses if d.due_at is not None}
    for order in orders:
        if order.kind == OrderKind.SCHEDULED:
            for hhmm in order.times:
                due = dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=tz)
                due_utc = due.astimezone(dt.UTC)
                if due_utc < order.starts_at or (order.stops_at and due_utc > order.stops_at):
                    continue
                if order.status != OrderStatus.ACTIVE and due_utc >= (
                    order.status_changed_at or due_utc
                ):
                    continue
                rec = by_due.get((order.pk, due_utc))
                state = rec.outcome if rec else _state(due_utc, now)
                lines.append(
                    RecordLine(
                        at=due_utc,
                        source="scheduled",
                        medicine=order.item.name,
                        mg=order.dose_mg,
                        state=state,
                        outcome=rec.outcome if rec else "",
                        recorded_by=rec.recorded_by.display_name if rec else "",
                        diazepam_mg=rec.diazepam_mg if rec else None,
                        total_24h_mg=None,
                        sedating=order.item.sedating,
                        order=order,
                        dose_id=rec.public_id if rec else None,
                        given_at=rec.occurred_at if rec else None,
                    )
                )
    for d in doses:
        if d.order.kind == OrderKind.PRN and start <= d.occurred_at < end:
            lines.append(
                RecordLine(
                    at=d.occurred_at,
                    source="prn",
                    medicine=f"{d.order.item.name} (as needed)",
                    mg=d.mg,
                    state=d.outcome,
                    outcome=d.outcome,
                    recorded_by=d.recorded_by.display_name,
                    diazepam_mg=d.diazepam_mg,
                    total_24h_mg=None,
                    sedating=d.order.item.sedating,
                    order=d.order,
                    dose_id=d.public_id,
                    override_reason=d.override_reason,
                    given_at=d.occurred_at,
                )
            )
    lines.sort(key=lambda line: line.at)
    for line in lines:
        if line.diazepam_mg is not None and line.outcome == "given" and line.given_at:
            line.total_24h_mg = total_24h(given, now=line.given_at)
    return {
        "lines": lines,
        "total_24h_now": total_24h(given, now=now),
    }


def _state(due: dt.datetime, now: dt.datetime) -> str:
    if now >= due + taper_selectors.missed_after():
        return "missed"
    if now >= due + taper_selectors.late_after():
        return "late"
    if now >= due - taper_selectors.late_after():
        return "due"
    return "upcoming"


PRN_BOARD_WINDOW = dt.timedelta(hours=24)


def prn_given_24h(admission_ids: list[int], now: dt.datetime) -> dict[int, list[dict[str, Any]]]:
    """As-needed doses given in the 24 hours up to ``now``, per admission and medicine: count
    and mg (valid records only), for the unit board. mg is summed per medicine, never across
    medicines. One query whatever the number of patients."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not admission_ids:
        return out
    rows = (
        MedicationDose.objects.filter(
            order__admission_id__in=admission_ids,
            order__kind=OrderKind.PRN,
            status=DoseStatus.VALID,
            outcome=DoseOutcome.GIVEN,
            occurred_at__gt=now - PRN_BOARD_WINDOW,
            occurred_at__lte=now,
        )
        .values("order__admission_id", "order__item__name")
        .annotate(count=Count("id"), mg=Sum("mg"))
        .order_by("order__admission_id", "order__item__name")
    )
    for row in rows:
        out.setdefault(row["order__admission_id"], []).append(
            {"medicine": row["order__item__name"], "count": row["count"], "mg": row["mg"]}
        )
    return out


def prn_board_text(entries: list[dict[str, Any]]) -> str:
    """'PRN: Diazepam 2 (10 mg) in 24 h'; several medicines are listed one by one."""
    if not entries:
        return ""
    parts = [f"{e['medicine']} {e['count']} ({format_mg(Decimal(e['mg']))} mg)" for e in entries]
    return f"PRN: {', '.join(parts)} in 24 h"


def prn_timeline_markers(
    admission: Any, since: dt.datetime | None, until: dt.datetime
) -> list[TimelineMarker]:
    """As-needed benzodiazepine doses given (valid records), for the CIWA-B chart; registered
    with the core registry in apps.py because assessments sits below medication. One query."""
    doses = MedicationDose.objects.filter(
        order__admission=admission,
        order__kind=OrderKind.PRN,
        order__item__is_benzodiazepine=True,
        status=DoseStatus.VALID,
        outcome=DoseOutcome.GIVEN,
        occurred_at__lte=until,
    )
    if since is not None:
        doses = doses.filter(occurred_at__gte=since)
    tz = admission.unit.tz
    out = []
    for name, mg, at in doses.order_by("occurred_at").values_list(
        "order__item__name", "mg", "occurred_at"
    ):
        local = at.astimezone(tz)
        out.append(
            TimelineMarker(
                at=at,
                short="PRN",
                text=f"{local:%d %b %H:%M} {local.tzname()}: as-needed {name} "
                f"{format_mg(Decimal(mg))} mg given",
            )
        )
    return out
