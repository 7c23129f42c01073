"""The sweep with a frozen clock: what is due, for whom, exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments.models import EscalationStatus
from notifications.models import EscalationChainMember, Notification, NotificationKind
from notifications.services import escalation_notify, sweep
from patients.models import AdmissionStatus
from tests.notifications.conftest import NOW, critical_escalation, due_in

pytestmark = pytest.mark.django_db
K = NotificationKind


def kinds_for(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_due_within_lead_time_reminds_last_nurse_and_charge_nurse(
    roster, admission, nurse, charge_nurse, physician
):
    roster.charge_nurse = charge_nurse
    roster.save()
    due_in(admission, nurse, 10)
    sweep(now=NOW)
    assert kinds_for(nurse) == [K.ASSESSMENT_DUE]
    assert kinds_for(charge_nurse) == [K.ASSESSMENT_DUE]
    assert kinds_for(physician) == []


def test_not_yet_within_lead_time_creates_nothing(roster, admission, nurse):
    due_in(admission, nurse, 16)
    assert sweep(now=NOW).created == 0
    assert not Notification.objects.exists()


def test_overdue_30_goes_to_charge_nurse_and_60_to_physician(roster, admission, nurse, physician):
    due_in(admission, nurse, -31)
    sweep(now=NOW)
    assert kinds_for(nurse) == [K.ASSESSMENT_OVERDUE_30]
    assert kinds_for(physician) == []
    sweep(now=NOW + dt.timedelta(minutes=30))
    assert kinds_for(physician) == [K.ASSESSMENT_OVERDUE_60]
    # Each notice refers to the same due time.
    due = admission.schedule.next_due_at
    assert set(Notification.objects.values_list("due_at", flat=True)) == {due}


def test_reminder_lifecycle_due_soon_then_overdue_after_missed(roster, admission, nurse, physician):
    due_in(admission, nurse, 15)
    for minutes in range(0, 80, 2):  # a sweep every 2 minutes for 80 minutes
        sweep(now=NOW + dt.timedelta(minutes=minutes))
    assert kinds_for(nurse) == [K.ASSESSMENT_DUE, K.ASSESSMENT_OVERDUE_30]
    assert kinds_for(physician) == [K.ASSESSMENT_OVERDUE_60]


def test_assessment_done_in_the_meantime_skips_and_resolves(roster, admission, nurse):
    due_in(admission, nurse, 5)
    sweep(now=NOW)
    reminder = Notification.objects.get()
    # The nurse records the CIWA-B; the schedule moves on 4 hours.
    due_in(admission, nurse, 240)
    sweep(now=NOW + dt.timedelta(minutes=40))
    reminder.refresh_from_db()
    assert reminder.resolved_at is not None
    assert Notification.objects.count() == 1  # no overdue notice for the done assessment


def test_catch_up_after_outage_sends_what_is_still_relevant(roster, admission, nurse, physician):
    due_in(admission, nurse, -65)  # the sweep was down for over an hour
    sweep(now=NOW)
    assert kinds_for(nurse) == [K.ASSESSMENT_OVERDUE_30]  # "due soon" is no longer news
    assert kinds_for(physician) == [K.ASSESSMENT_OVERDUE_60]


def test_discharged_patient_gets_no_reminders(roster, admission, nurse):
    due_in(admission, nurse, -40)
    admission.status = AdmissionStatus.DISCHARGED
    admission.discharged_at = NOW - dt.timedelta(hours=1)
    admission.save()
    sweep(now=NOW)
    assert not Notification.objects.exists()


def test_inactive_schedule_gets_no_reminders(roster, admission, nurse):
    due_in(admission, nurse, -40)
    admission.schedule.active = False
    admission.schedule.save()
    sweep(now=NOW)
    assert not Notification.objects.exists()


def test_two_sweeps_create_one_notification(roster, admission, nurse):
    due_in(admission, nurse, 10)
    first = sweep(now=NOW)
    second = sweep(now=NOW + dt.timedelta(seconds=30))
    assert first.created == 1 and second.created == 0
    assert Notification.objects.filter(recipient=nurse).count() == 1


def test_idle_sweep_selects_only_schedules_missing_their_current_stage(
    roster, admission, nurse, physician
):
    """Issue 12: once a stage's reminders exist, the sweep does not rebuild them for
    ON CONFLICT to discard; it selects nothing and inserts nothing until the next stage."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    due_in(admission, nurse, 10)
    assert sweep(now=NOW).created == 1
    with CaptureQueriesContext(connection) as idle:
        assert sweep(now=NOW + dt.timedelta(minutes=1)).created == 0
    assert not [q for q in idle if q["sql"].startswith('INSERT INTO "notifications_notification"')]
    assert not [q for q in idle if q["sql"].startswith("SELECT COUNT(*)")]
    # The next stage still starts: 30 minutes past due, the charge-nurse notice.
    assert sweep(now=NOW + dt.timedelta(minutes=41)).created >= 1
    assert K.ASSESSMENT_OVERDUE_30 in kinds_for(nurse)
    with CaptureQueriesContext(connection) as idle:
        assert sweep(now=NOW + dt.timedelta(minutes=42)).created == 0
    assert not [q for q in idle if q["sql"].startswith('INSERT INTO "notifications_notification"')]
    assert sweep(now=NOW + dt.timedelta(minutes=71)).created >= 1
    assert kinds_for(physician) == [K.ASSESSMENT_OVERDUE_60]


def test_no_roster_falls_back_to_unit_members(unit, admission, nurse, physician, other_nurse):
    due_in(admission, nurse, -61)
    sweep(now=NOW)
    assert kinds_for(nurse) == [K.ASSESSMENT_OVERDUE_30]
    assert kinds_for(physician) == [K.ASSESSMENT_OVERDUE_60]
    assert kinds_for(other_nurse) == []  # another unit's nurse never hears of this patient


def test_critical_escalation_notifies_physician_and_charge_nurse_at_once(
    roster, admission, nurse, physician
):
    escalation = critical_escalation(admission, nurse)
    escalation_notify(escalation_id=escalation.pk, now=NOW)
    rows = Notification.objects.filter(escalation=escalation)
    assert {(n.recipient_id, n.step) for n in rows} == {(physician.pk, 0), (nurse.pk, 0)}


def test_unacknowledged_escalation_moves_along_the_chain(
    roster, unit, admission, nurse, physician, make_user
):
    from cnt_detox.core.roles import Role

    senior = make_user("senior", Role.PHYSICIAN, unit)
    director = make_user("director", Role.PHYSICIAN, unit)
    EscalationChainMember.objects.create(unit=unit, position=1, user=senior)
    EscalationChainMember.objects.create(unit=unit, position=2, user=director)
    escalation = critical_escalation(admission, nurse)
    sweep(now=NOW + dt.timedelta(minutes=14))
    assert not Notification.objects.filter(recipient=senior).exists()
    sweep(now=NOW + dt.timedelta(minutes=15))
    assert Notification.objects.get(recipient=senior).step == 1
    escalation.status = EscalationStatus.ACKNOWLEDGED
    escalation.save()
    sweep(now=NOW + dt.timedelta(minutes=31))
    assert not Notification.objects.filter(recipient=director).exists()
    assert not Notification.objects.filter(escalation=escalation, resolved_at=None).exists()


def test_chain_without_members_goes_to_other_physicians(
    roster, unit, admission, nurse, physician, make_user
):
    from cnt_detox.core.roles import Role

    colleague = make_user("colleague", Role.PHYSICIAN, unit)
    critical_escalation(admission, nurse)
    sweep(now=NOW + dt.timedelta(minutes=16))
    assert Notification.objects.get(recipient=colleague).step == 1


def test_lost_escalation_task_is_caught_by_the_sweep(roster, admission, nurse, physician):
    critical_escalation(admission, nurse)  # the task never ran (broker down)
    sweep(now=NOW + dt.timedelta(minutes=1))
    assert Notification.objects.filter(recipient=physician, step=0).exists()


def test_doses_come_from_the_tapering_provider(roster, admission, nurse, monkeypatch):
    from notifications import providers

    doses = [providers.DueDose(admission.pk, "plan1-step3", NOW - dt.timedelta(minutes=61))]
    monkeypatch.setattr(providers, "due_doses", lambda now: doses)
    sweep(now=NOW)
    assert kinds_for(nurse) == [K.DOSE_LATE]


def test_doses_of_a_signed_plan_are_reminded_until_recorded(
    roster, nurse, physician, unit, make_user
):
    """End to end through the real tapering selector: a due dose of an active plan is
    reminded; once given, delivery skips it."""
    from notifications import providers
    from tapering import dose_services
    from tapering import services as taper
    from tapering.models import ScheduledDose
    from tests.conftest import PASSWORD
    from tests.factories import make_admission

    admission = make_admission(unit, by=nurse)
    data = {
        "agents": [{"agent": "diazepam", "daily_dose_mg": "20"}],
        "target_agent": "diazepam",
        "strategy": "inpatient",
        "params": {},
        "start_date": unit.local_now().date().isoformat(),
    }
    draft = taper.plan_create_draft(admission=admission, actor=physician, data=data)
    taper.plan_sign(
        plan=draft, actor=physician, password=PASSWORD, expected_version=draft.lock_version
    )
    dose = ScheduledDose.objects.filter(plan__admission=admission).order_by("due_at").first()
    now = dose.due_at + dt.timedelta(minutes=5)

    key = providers.dose_subject(admission.pk, dose.due_at)
    due = providers.due_doses(now)
    assert [(d.admission_id, d.key) for d in due] == [(admission.pk, key)]
    assert providers.dose_is_pending(key)
    assert providers.dose_is_pending(str(dose.pk))  # keys of older reminders still work
    sweep(now=now)
    assert K.DOSE_DUE in kinds_for(nurse)

    dose_services.dose_record(
        scheduled_dose=dose, actor=nurse, outcome="given", occurred_at=timezone.now()
    )
    assert not providers.dose_is_pending(key)
    assert not providers.dose_is_pending(str(dose.pk))
    assert key not in [d.key for d in providers.due_doses(now)]


def test_heartbeat_is_recorded(roster):
    from notifications.models import SweepHeartbeat

    sweep(now=NOW)
    sweep(now=NOW)
    assert SweepHeartbeat.objects.count() == 1


def test_management_command_runs_one_sweep(roster, admission, nurse, capsys):
    from tests.factories import make_assessment

    make_assessment(admission, by=nurse, next_due_minutes=5)
    call_command("sweep_reminders")
    assert "1 created" in capsys.readouterr().out
    assert kinds_for(nurse) == [K.ASSESSMENT_DUE]


def test_a_new_admission_follows_the_reminder_chain(roster, unit, nurse, charge_nurse, physician):
    # Issue 20 item 4: the first CIWA-B is due at admission and reminds like any due one.
    from patients import services

    roster.charge_nurse = charge_nurse
    roster.save()
    from decimal import Decimal

    services.admission_create(
        actor=nurse,
        patient={
            "mrn": "NEW2",
            "first_name": "Ola",
            "last_name": "Berg",
            "date_of_birth": dt.date(1980, 1, 1),
            "sex": "female",
        },
        unit_id=unit.public_id,
        bed_id=unit.beds.order_by("label").first().public_id,
        admitted_at=NOW - dt.timedelta(minutes=5),
        substances=[
            {
                "agent": "diazepam",
                "daily_dose_mg": Decimal("20"),
                "days_per_week": 7,
                "duration_months": Decimal("12"),
            }
        ],
        now=NOW,
    )
    sweep(now=NOW)
    assert kinds_for(charge_nurse) == [K.ASSESSMENT_DUE]
    sweep(now=NOW + dt.timedelta(minutes=30))
    assert K.ASSESSMENT_OVERDUE_30 in kinds_for(charge_nurse)
    sweep(now=NOW + dt.timedelta(minutes=60))
    assert kinds_for(physician) == [K.ASSESSMENT_OVERDUE_60]


def _signed_plan(unit, admission, physician, monkeypatch):
    from tapering import services as taper
    from tests.tapering.conftest import sign_before_first_dose

    data = {
        "agents": [{"agent": "diazepam", "daily_dose_mg": "20"}],
        "target_agent": "diazepam",
        "strategy": "inpatient",
        "params": {},
        "start_date": unit.local_now().date().isoformat(),
    }
    draft = taper.plan_create_draft(admission=admission, actor=physician, data=data)
    return sign_before_first_dose(monkeypatch, draft, physician)


def test_an_amendment_does_not_raise_a_second_reminder_for_the_same_dose(
    roster, nurse, physician, unit, monkeypatch
):
    # Issue 20 item 7: an amendment today raised a second alert for the same 21:00 dose, and
    # recording the dose left both open.
    from tapering import dose_services
    from tapering import services as taper
    from tapering.models import ScheduledDose
    from tests.factories import make_admission
    from tests.tapering.conftest import sign_before_first_dose

    admission = make_admission(unit, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=1))
    plan = _signed_plan(unit, admission, physician, monkeypatch)
    last = ScheduledDose.objects.filter(plan=plan, date=plan.start_date).order_by("due_at").last()
    late = last.due_at + dt.timedelta(minutes=61)
    sweep(now=late)
    assert kinds_for(nurse).count(K.DOSE_LATE) == 1
    amendment = taper.plan_amend(plan=plan, actor=physician, reason="Slower")
    signed = sign_before_first_dose(monkeypatch, amendment, physician, override_reason="supervised")
    same = ScheduledDose.objects.get(plan=signed, due_at=last.due_at)
    sweep(now=late + dt.timedelta(minutes=1))
    open_late = Notification.objects.filter(
        recipient=nurse, kind=K.DOSE_LATE, resolved_at__isnull=True
    )
    assert open_late.count() == 1
    dose_services.dose_record(
        scheduled_dose=same, actor=nurse, outcome="given", occurred_at=timezone.now()
    )
    # Closed at once by the record, not left for the next sweep.
    assert not open_late.exists()
    sweep(now=late + dt.timedelta(minutes=2))
    assert not open_late.exists()


def test_recording_a_dose_through_the_api_clears_its_reminder_from_the_bell(
    api, roster, nurse, physician, unit, monkeypatch
):
    from tapering.models import ScheduledDose
    from tests.factories import make_admission

    admission = make_admission(unit, by=nurse, admitted_at=timezone.now() - dt.timedelta(days=1))
    plan = _signed_plan(unit, admission, physician, monkeypatch)
    dose = ScheduledDose.objects.filter(plan=plan).order_by("due_at").first()
    sweep(now=dose.due_at + dt.timedelta(minutes=61))
    client = api(nurse)
    assert client.get("/api/v1/notifications/count/").json()["open"] == 1
    recorded = client.post(
        f"/api/v1/scheduled-doses/{dose.public_id}/administrations/",
        {"outcome": "given"},
        format="json",
    )
    assert recorded.status_code == 201, recorded.content
    assert client.get("/api/v1/notifications/count/").json()["open"] == 0


def test_sweep_queries_do_not_grow_with_due_schedules(roster, unit, nurse, physician):
    """The reminder select reads only the columns it needs (REMINDER_SCHEDULE_COLUMNS): a
    deferred column read per row would show up here as one query per schedule."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_admission

    def admitted():
        return make_admission(unit, by=nurse, admitted_at=NOW - dt.timedelta(hours=6))

    due_in(admitted(), nurse, 10)
    with CaptureQueriesContext(connection) as one:
        assert sweep(now=NOW).created >= 1
    for minutes in (5, -35, -65):
        due_in(admitted(), nurse, minutes)
    with CaptureQueriesContext(connection) as four:
        assert sweep(now=NOW).created >= 3
    assert len(four) == len(one)
    assert set(kinds_for(nurse)) >= {K.ASSESSMENT_DUE, K.ASSESSMENT_OVERDUE_30}
    assert K.ASSESSMENT_OVERDUE_60 in kinds_for(physician)
    reminder_select = next(q["sql"] for q in four if "assessments_reassessmentschedule" in q["sql"])
    assert '"patients_admission"."referral_notes"' not in reminder_select
    assert '"assessments_assessment"."items"' not in reminder_select
