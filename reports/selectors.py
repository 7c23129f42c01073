"""Reads for the unit board, always through the user's units (the census: reports.census).

The board runs a fixed number of queries whatever the number of patients: one for the
admissions (with the last assessment id, the 24-hour peak and the schedule joined in), one
for those last assessments, one for the flags in force, one for open escalations, one for the
as-needed (PRN) doses given in the last 24 hours, and whatever the tapering feature's
``board_plan_info`` needs (also a fixed number).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    Assessment,
    AssessmentFlag,
    AssessmentStatus,
    Escalation,
    EscalationKind,
    EscalationStatus,
)
from clinical.ciwa_b import BAND_LABELS, UNABLE_REASON_LABELS, Band, UnableReason
from clinical.risk import LEVEL_LABELS, LEVEL_RANK
from medication.selectors import prn_board_text, prn_given_24h
from patients.models import Admission, Unit
from patients.selectors import units_for_user
from reports import formatting
from tapering import selectors as tapering_selectors

logger = logging.getLogger(__name__)

# Urgency tiers of the board (a display order, not a clinical threshold).
URGENT, SOON, ROUTINE = 0, 1, 2
URGENCY_LABELS = {URGENT: "Needs attention now", SOON: "Due soon", ROUTINE: "Routine"}
# "Due soon" means the next CIWA-B is due within this many minutes; an ordering aid for the
# board, not a published threshold.
DUE_SOON_MINUTES = 30
# Flags a board row shows before folding the rest behind "+N more" (the patient page lists
# them all). A layout choice, not a clinical number: the most severe come first.
BOARD_FLAGS_SHOWN = 3
PLAN_LABELS = {
    "none": "No plan",
    "draft": "Draft (not signed)",
    "active": "Active",
    "completed": "Completed",
    "superseded": "Superseded",
    "discontinued": "Discontinued",
}


def band_label(band: str) -> str:
    try:
        return BAND_LABELS[Band(band)]
    except ValueError:
        return band.replace("_", " ").capitalize()


def unable_label(reason: str) -> str:
    try:
        return UNABLE_REASON_LABELS[UnableReason(reason)]
    except ValueError:
        return reason.replace("_", " ").capitalize()


def agent_label(agent: str) -> str:
    return agent.replace("_", " ").capitalize() if agent else ""


def reverse_for_admission(name: str, public_id: Any) -> str:
    """A link to a page of this admission: the admission's public id is the only URL argument."""
    return reverse(name, args=[public_id])


class AdmissionLinks:
    """``reverse_for_admission`` for many rows: one reverse() per page name, not per row.

    reverse() cost ~0.1 ms and the board made two per row (issue 12 profile); the admission's
    public id (a UUID, URL-safe as it is) is the only URL argument, so a link reversed once
    with a placeholder id serves every row. Make one per request: the script prefix that
    reverse() puts in front can differ between requests.
    """

    _PLACEHOLDER = str(uuid.UUID(int=0))

    def __init__(self) -> None:
        self._links: dict[str, str] = {}

    def __call__(self, name: str, public_id: uuid.UUID) -> str:
        link = self._links.get(name)
        if link is None:
            link = self._links[name] = reverse_for_admission(name, self._PLACEHOLDER)
        return link.replace(self._PLACEHOLDER, str(public_id), 1)


def board_units(user: Any) -> list[Unit]:
    return list(units_for_user(user).order_by("name"))


# --- Unit board ------------------------------------------------------------------------------


@dataclass
class BoardRow:
    admission: Admission
    age: int
    day_of_stay: int
    agent: str
    dose_mg: Decimal | None
    dose_text: str
    plan_status: str
    plan_label: str
    today_mg: Decimal | None
    # "PRN: Diazepam 2 (10 mg) in 24 h" (medication.selectors.prn_board_text), or "".
    prn_text: str = ""
    last_total: int | None = None
    last_band: str = ""
    last_band_label: str = ""
    last_unable: str = ""
    last_at: str = ""
    peak_24h: int | None = None
    next_due_at: dt.datetime | None = None
    due_text: str = ""
    overdue: bool = False
    flags: list[dict[str, str]] = field(default_factory=list)
    escalations: list[dict[str, str]] = field(default_factory=list)
    urgency: int = ROUTINE
    detail_url: str | None = None
    record_url: str | None = None
    today_url: str | None = None  # the offline shell caches it with the record page

    @property
    def flags_shown(self) -> list[dict[str, str]]:
        return self.flags[:BOARD_FLAGS_SHOWN]

    @property
    def flags_folded(self) -> list[dict[str, str]]:
        return self.flags[BOARD_FLAGS_SHOWN:]

    @property
    def urgency_label(self) -> str:
        return URGENCY_LABELS[self.urgency]

    @property
    def key(self) -> str:
        return str(self.admission.public_id)


def plan_info(on_date_by_admission: dict[int, dt.date]) -> dict[int, dict[str, Any]]:
    """Taper columns (plan status, the day's dose) from the tapering feature, each admission
    on its own unit-local date."""
    return tapering_selectors.board_plan_info(list(on_date_by_admission), on_date_by_admission)


def _admissions_for_board(unit_ids: Sequence[int], now: dt.datetime) -> QuerySet[Admission]:
    valid = Assessment.objects.filter(admission=OuterRef("pk"), status=AssessmentStatus.VALID)
    peak = (
        valid.filter(assessed_at__gt=now - dt.timedelta(hours=24), assessed_at__lte=now)
        .values("admission")
        .annotate(peak=Max("total"))
        .values("peak")[:1]
    )
    latest = valid.order_by("-assessed_at", "-id")
    # The latest valid assessment's few board fields come with the admission (one query for
    # the rows instead of two; the board's budget is ten, issue 12).
    return (
        Admission.objects.filter(unit__in=unit_ids, discharged_at__isnull=True)
        .select_related("patient", "unit", "bed", "schedule")
        .annotate(
            last_assessment_id=Subquery(latest.values("id")[:1]),
            **{
                f"last_{field}": Subquery(latest.values(field)[:1])
                for field in LAST_ASSESSMENT_FIELDS
            },
            peak_24h=Subquery(peak),
        )
    )


LAST_ASSESSMENT_FIELDS = ("total", "band", "unable_reason", "assessed_at", "next_due_at")


def _last_assessment(admission: Admission) -> Assessment | None:
    """The latest valid assessment as an unsaved instance holding only the board's fields."""
    if not admission.last_assessment_id:
        return None
    return Assessment(
        id=admission.last_assessment_id,
        **{field: getattr(admission, f"last_{field}") for field in LAST_ASSESSMENT_FIELDS},
    )


def _schedule_due(admission: Admission) -> dt.datetime | None:
    try:
        schedule = admission.schedule
    except Admission.schedule.RelatedObjectDoesNotExist:
        return None
    return schedule.next_due_at if schedule.active else None


def board_rows(units: Sequence[Unit], now: dt.datetime | None = None) -> list[BoardRow]:
    """One row per current admission of ``units``, most urgent first."""
    now = now or timezone.now()
    admissions = list(_admissions_for_board([u.pk for u in units], now))
    ids = [a.pk for a in admissions]
    last_ids = [a.last_assessment_id for a in admissions if a.last_assessment_id]
    last = {a.last_assessment_id: _last_assessment(a) for a in admissions if a.last_assessment_id}
    flags: dict[int, list[AssessmentFlag]] = {}
    # Flags in force: those raised by the latest valid assessment and those raised at intake.
    for flag in AssessmentFlag.objects.filter(
        Q(assessment_id__in=last_ids) | Q(assessment__isnull=True, admission_id__in=ids)
    ).order_by("raised_at"):
        flags.setdefault(flag.admission_id, []).append(flag)
    escalations: dict[int, list[Escalation]] = {}
    for esc in Escalation.objects.filter(
        admission_id__in=ids, status=EscalationStatus.OPEN
    ).order_by("created_at"):
        escalations.setdefault(esc.admission_id, []).append(esc)
    # "Taper today" is the unit's date, not the UTC date: they differ around midnight in any
    # zone but UTC (in London in summer, 00:00-01:00 showed yesterday's total).
    local_days = {u.pk: u.local_now(now).date() for u in units}
    plans = plan_info({a.pk: local_days[a.unit_id] for a in admissions}) if ids else {}
    prn = prn_given_24h(ids, now)

    links = AdmissionLinks()
    rows = [
        _board_row(a, now, last.get(a.last_assessment_id), flags, escalations, plans, links)
        for a in admissions
    ]
    for row in rows:
        row.prn_text = prn_board_text(prn.get(row.admission.pk, []))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (r.urgency, r.next_due_at or far, r.admission.bed.label))
    return rows


def _board_row(
    admission: Admission,
    now: dt.datetime,
    last: Assessment | None,
    flags: dict[int, list[AssessmentFlag]],
    escalations: dict[int, list[Escalation]],
    plans: dict[int, dict[str, Any]],
    links: AdmissionLinks,
) -> BoardRow:
    tz = admission.unit.tz
    plan = plans.get(admission.pk) or {}
    status = str(plan.get("status") or "") if plans else ""
    row = BoardRow(
        admission=admission,
        age=admission.patient.age_on(now.astimezone(tz).date()),
        day_of_stay=admission.day_of_stay(now),
        agent=agent_label(admission.primary_agent),
        dose_mg=admission.diazepam_equivalent_mg,
        dose_text=admission.dose_text,
        plan_status=status or "unknown",
        plan_label=PLAN_LABELS.get(status, status.capitalize()) if status else "—",
        today_mg=plan.get("today_mg"),
        peak_24h=admission.peak_24h,
        detail_url=links("patients:detail", admission.public_id),
        record_url=links("assessments:new", admission.public_id),
        today_url=links("tapering:today", admission.public_id),
    )
    if last is not None:
        _set_last_assessment(row, last, tz, now)
    row.next_due_at = _schedule_due(admission) or (last.next_due_at if last else None)
    row.overdue = row.next_due_at is not None and row.next_due_at < now
    row.due_text = _due_text(row.next_due_at, first=last is None, tz=tz, now=now)
    row.flags = _flag_items(flags.get(admission.pk, []))
    row.escalations = _escalation_items(escalations.get(admission.pk, []), tz, now)
    row.urgency = _urgency(row, now)
    return row


def _set_last_assessment(row: BoardRow, last: Assessment, tz: Any, now: dt.datetime) -> None:
    row.last_total = last.total
    row.last_band = last.band
    row.last_band_label = band_label(last.band) if last.band else ""
    row.last_unable = unable_label(last.unable_reason) if last.unable_reason else ""
    row.last_at = formatting.clock(last.assessed_at, tz, now)


def _due_text(due: dt.datetime | None, *, first: bool, tz: Any, now: dt.datetime) -> str:
    """ "Due 14:30 (in 52 min)", "Overdue by ...", or "No CIWA-B scheduled"."""
    if due is None:
        return "No CIWA-B scheduled"
    left = formatting.minutes_between(now, due)
    when = formatting.clock(due, tz, now)
    prefix = "First CIWA-B (admission): " if first else ""
    if due < now:
        return f"{prefix}Overdue by {formatting.duration(-left)} (was due {when})"
    if left == 0:
        return f"{prefix}Due now ({when})"
    return f"{prefix}Due {when} (in {formatting.duration(left)})"


def _flag_items(flags: list[AssessmentFlag]) -> list[dict[str, str]]:
    """Flags in force, most serious first."""
    return [
        {"level": f.level, "level_label": LEVEL_LABELS.get(f.level, f.level), "text": f.reason}
        for f in sorted(flags, key=lambda f: LEVEL_RANK.get(f.level, 9))
    ]


def _escalation_items(
    escalations: list[Escalation], tz: Any, now: dt.datetime
) -> list[dict[str, str]]:
    return [
        {
            # The headline words (every reason in one escalation, issue 20 item 8), or for an
            # escalation raised before them, its kind.
            "kind": e.summary
            or (EscalationKind(e.kind).label if e.kind in EscalationKind.values else e.kind),
            "since": formatting.clock(e.created_at, tz, now),
        }
        for e in escalations
    ]


def _urgency(row: BoardRow, now: dt.datetime) -> int:
    """Urgent: overdue, a critical flag, an open escalation or a severe last band; soon: a
    high flag or a check due within DUE_SOON_MINUTES; else routine."""
    levels = {f["level"] for f in row.flags}
    severe = row.last_band in (Band.SEVERE, Band.VERY_SEVERE)
    if row.overdue or "critical" in levels or row.escalations or severe:
        return URGENT
    if "high" in levels or (
        row.next_due_at is not None
        and row.next_due_at - now <= dt.timedelta(minutes=DUE_SOON_MINUTES)
    ):
        return SOON
    return ROUTINE
