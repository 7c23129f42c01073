"""Plain words for notifications, in the unit's time zone with the zone name."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from notifications.cosign import plan_public_id
from notifications.models import Notification, NotificationKind


def local_time(value: dt.datetime, unit: object) -> str:
    local = value.astimezone(unit.tz)  # type: ignore[attr-defined]
    return f"{local:%H:%M} {local.tzname()}"


def headline(n: Notification, *, private: bool = False) -> str:
    """One line without the patient's name.

    An escalation says what happened, in words, where and when it was seen ("Seizure since
    last check: bed A2, 14:05 GMT"; issue 20 item 8). ``private`` (the email subject, which
    leaves the hospital's systems) keeps the clinical words out: "Escalation at 14:05 ...".
    """
    unit = n.admission.unit
    where = f"bed {n.admission.bed.label}, {unit.name}"
    due = local_time(n.due_at, unit)
    esc = n.escalation if n.escalation_id else None
    if n.kind == NotificationKind.ESCALATION and esc is not None and esc.summary and not private:
        seen = esc.assessment.assessed_at if esc.assessment_id else esc.created_at
        step = "" if n.step == 0 else f" (not acknowledged: chain step {n.step})"
        level = "Critical: " if esc.level == "critical" else ""
        return (
            f"{level}{esc.summary}: bed {n.admission.bed.label}, {local_time(seen, unit)}"
            f"{step} ({unit.name})"
        )
    if n.kind == NotificationKind.ASSESSMENT_DUE:
        return f"CIWA-B due at {due} ({where})"
    if n.kind == NotificationKind.ASSESSMENT_OVERDUE_30:
        return f"CIWA-B overdue by 30 min, was due at {due} ({where})"
    if n.kind == NotificationKind.ASSESSMENT_OVERDUE_60:
        return f"CIWA-B overdue by 60 min, was due at {due} ({where})"
    if n.kind == NotificationKind.ESCALATION:
        step = "" if n.step == 0 else f", not acknowledged: chain step {n.step}"
        return f"Escalation at {due}{step} ({where})"
    if n.kind == NotificationKind.SECOND_SIGNATURE:
        return f"Taper plan waiting for a specialist's second signature since {due} ({where})"
    if n.kind in (NotificationKind.FOLLOWUP_DUE, NotificationKind.FOLLOWUP_OVERDUE):
        local = n.due_at.astimezone(unit.tz)
        when = f"{local.day} {local:%b %H:%M} {local.tzname()}"
        return f"{n.get_kind_display()}: {when} ({n.detail or unit.name})"
    if n.kind == NotificationKind.DOSE_DUE:
        return f"Dose due at {due} ({where})"
    return f"Dose late, was due at {due} ({where})"


def notification_links(n: Notification) -> dict[str, str]:
    """Where a notification leads: the patient, for an escalation its assessment, and for a
    second-signature reminder the plan to co-sign (its id is in the key: no query)."""
    links = {"patient_url": reverse("patients:detail", args=[n.admission.public_id])}
    if n.kind == NotificationKind.SECOND_SIGNATURE:
        plan_id = plan_public_id(n.subject_key)
        if plan_id:
            links["plan_url"] = reverse("tapering:plan", args=[plan_id])
    esc = n.escalation if n.escalation_id else None
    if esc is not None and esc.assessment_id:
        links["assessment_url"] = reverse("assessments:detail", args=[esc.assessment.public_id])
    return links
