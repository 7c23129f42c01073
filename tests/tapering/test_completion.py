"""Issue 19 item 4: a finished taper is "completed" (tapering.md 5), not active forever.

Finished: every scheduled dose recorded or past the missed window (DOSE_MISSED_MINUTES).
The status shows on the board, the patient page and the period export; the signature and
verify_signatures are untouched.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cnt_detox.core.models import AuditEvent
from reports.period import ADMISSION_HEADER, Period, period_summary
from reports.selectors import board_rows
from tapering import completion, dose_services, services
from tapering.models import PlanStatus, ScheduledDose, TaperPlan
from tapering.tasks import complete_finished_plans
from tests.conftest import PASSWORD
from tests.tapering.conftest import today

pytestmark = pytest.mark.django_db


@pytest.fixture
def short_plan(admission, physician, plan_data, unit):
    """Two days, one dose a day (10 mg, then 5 mg), signed: an active plan with two doses."""
    data = {
        **plan_data,
        "agents": [{"agent": "diazepam", "daily_dose_mg": "10"}],
        "strategy": "custom",
        "params": {"time_slots": ["08:00"]},
        "custom_steps": [
            {"days": 1, "daily_total_mg": "10"},
            {"days": 1, "daily_total_mg": "5"},
            {"days": 1, "daily_total_mg": "0"},
        ],
    }
    draft = services.plan_create_draft(admission=admission, actor=physician, data=data)
    return services.plan_sign(
        plan=draft,
        actor=physician,
        password=PASSWORD,
        expected_version=draft.lock_version,
        override_reason="test plan" if draft.violations else "",
    )


def last_due(plan: TaperPlan) -> dt.datetime:
    return ScheduledDose.objects.filter(plan=plan).order_by("-due_at").first().due_at


def missed_window(settings) -> dt.timedelta:
    return dt.timedelta(minutes=settings.DOSE_MISSED_MINUTES)


def test_an_active_plan_stays_active_while_a_dose_is_open(short_plan, settings):
    assert short_plan.status == PlanStatus.ACTIVE
    end = last_due(short_plan)
    # The last dose is due but not yet missed: the plan is still running.
    assert completion.plans_complete_finished(now=end + dt.timedelta(minutes=5)) == 0
    short_plan.refresh_from_db()
    assert short_plan.status == PlanStatus.ACTIVE


def test_after_the_last_step_the_plan_is_completed_once(short_plan, settings):
    after = last_due(short_plan) + missed_window(settings) + dt.timedelta(minutes=1)
    assert completion.plans_complete_finished(now=after) == 1
    assert completion.plans_complete_finished(now=after) == 0  # idempotent
    short_plan.refresh_from_db()
    assert short_plan.status == PlanStatus.COMPLETED
    assert short_plan.status_changed_at == after
    events = AuditEvent.objects.filter(action="taper_plan.completed")
    assert events.count() == 1
    # Only the status changed: the signed content still verifies, rebuilt too.
    out = io.StringIO()
    call_command("verify_signatures", "--rebuild", stdout=out)
    assert "All 1 signed plans verified" in out.getvalue()


def test_the_periodic_task_completes_finished_plans(short_plan, settings, monkeypatch):
    after = last_due(short_plan) + missed_window(settings) + dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: after)
    complete_finished_plans()
    short_plan.refresh_from_db()
    assert short_plan.status == PlanStatus.COMPLETED
    assert "tapering-complete-finished-plans" in settings.CELERY_BEAT_SCHEDULE


def test_recording_the_last_dose_completes_the_plan_at_once(short_plan, nurse, monkeypatch):
    doses = list(ScheduledDose.objects.filter(plan=short_plan).order_by("due_at"))
    after_last = doses[-1].due_at + dt.timedelta(minutes=10)
    monkeypatch.setattr(timezone, "now", lambda: after_last)
    dose_services.dose_record(
        scheduled_dose=doses[0], actor=nurse, outcome="given", occurred_at=doses[0].due_at
    )
    short_plan.refresh_from_db()
    assert short_plan.status == PlanStatus.ACTIVE
    dose_services.dose_record(
        scheduled_dose=doses[1], actor=nurse, outcome="given", occurred_at=doses[1].due_at
    )
    short_plan.refresh_from_db()
    assert short_plan.status == PlanStatus.COMPLETED


def test_discontinued_plans_are_never_completed(short_plan, physician, settings):
    services.plan_discontinue(plan=short_plan, actor=physician, reason="Transferred")
    after = last_due(short_plan) + missed_window(settings) + dt.timedelta(minutes=1)
    assert completion.plans_complete_finished(now=after) == 0
    short_plan.refresh_from_db()
    assert short_plan.status == PlanStatus.DISCONTINUED


def test_completed_shows_on_board_patient_page_and_period_export(
    short_plan, settings, client, nurse, unit, admission
):
    after = last_due(short_plan) + missed_window(settings) + dt.timedelta(minutes=1)
    completion.plans_complete_finished(now=after)

    rows = {r.admission.pk: r for r in board_rows([unit], timezone.now())}
    assert rows[admission.pk].plan_label == "Completed"

    client.force_login(nurse)
    page = client.get(reverse("patients:detail", args=[admission.public_id]))
    assert page.status_code == 200
    assert "Plan: <strong>Completed</strong>" in page.content.decode()

    day = today(unit)
    summary = period_summary(Period(unit, day, day), now=timezone.now())
    row = dict(zip(ADMISSION_HEADER, summary.rows[0], strict=True))
    assert row["Taper plan"] == "Completed"


def test_no_status_is_left_that_nothing_sets():
    # tapering.md's "signed" is the signature, not a state: a plan is active from signing, or
    # from the specialist's second signature when it needs one (issue 15).
    assert set(PlanStatus.values) == {
        "draft",
        "awaiting_second",
        "active",
        "completed",
        "superseded",
        "discontinued",
    }
