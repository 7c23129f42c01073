"""Follow-up appointments as reminders for the clinic staff (the notifications sweep).

Registered with cnt_detox.core.registry so notifications never imports this app. A scheduled
follow-up gives "due" from AFTERCARE_FOLLOWUP_REMINDER_LEAD_MINUTES before it (the unit's
charge nurses) and "not recorded" AFTERCARE_FOLLOWUP_OVERDUE_MINUTES after it (charge nurses
and physicians); both stop once the outcome is recorded (attended, did not attend, cancelled).
Acknowledgement is the notifications feature's. The timings are facility settings, not
published thresholds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings

from aftercare.models import FollowUpAppointment, FollowUpStatus
from cnt_detox.core.registry import Reminder
from notifications.models import NotificationKind

PREFIX = "followup:"


def key(follow_up_id: int) -> str:
    return f"{PREFIX}{follow_up_id}"


class FollowUpReminders:
    kinds = (NotificationKind.FOLLOWUP_DUE, NotificationKind.FOLLOWUP_OVERDUE)

    def due(self, now: dt.datetime) -> list[Reminder]:
        lead = dt.timedelta(minutes=settings.AFTERCARE_FOLLOWUP_REMINDER_LEAD_MINUTES)
        overdue = dt.timedelta(minutes=settings.AFTERCARE_FOLLOWUP_OVERDUE_MINUTES)
        rows = FollowUpAppointment.objects.filter(
            status=FollowUpStatus.SCHEDULED, scheduled_at__lte=now + lead
        ).values_list("pk", "admission_id", "admission__unit_id", "scheduled_at", "with_whom")
        out = []
        for pk, admission_id, unit_id, when, with_whom in rows:
            common = {
                "admission_id": admission_id,
                "unit_id": unit_id,
                "subject_key": key(pk),
                "due_at": when,
                "detail": f"with {with_whom}",
            }
            out.append(Reminder(kind=NotificationKind.FOLLOWUP_DUE, **common))
            if now >= when + overdue:
                out.append(
                    Reminder(kind=NotificationKind.FOLLOWUP_OVERDUE, to_physicians=True, **common)
                )
        return out

    def still_open(self, subject_keys: Iterable[str]) -> set[str]:
        ids = {
            int(k.removeprefix(PREFIX)) for k in subject_keys if k.removeprefix(PREFIX).isdigit()
        }
        if not ids:
            return set()
        open_ids = FollowUpAppointment.objects.filter(
            pk__in=ids, status=FollowUpStatus.SCHEDULED
        ).values_list("pk", flat=True)
        return {key(pk) for pk in open_ids}


follow_up_reminders = FollowUpReminders()
