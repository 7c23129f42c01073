"""Readiness on a real stay, discharge with and without an override, and the plain discharge
form and API of the patients app going through the same guard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from aftercare import selectors, services
from aftercare.models import DischargeRecord
from assessments.models import Escalation
from cnt_detox.core.models import AuditEvent
from tapering import services as taper_services
from tests.aftercare.conftest import active, plan_data
from tests.conftest import PASSWORD
from tests.factories import make_admission, make_assessment

pytestmark = pytest.mark.django_db


def _codes(admission, now=None):
    return {i["code"]: i["level"] for i in selectors.readiness_for(admission, now)}


def test_dose_above_20_blocks_and_a_20_mg_plan_does_not(unit, nurse, physician):
    high = make_admission(unit, by=nurse)
    active(high, physician)  # 80 mg/day diazepam today (capped)
    assert _codes(high)["dose_above_discharge"] == "block"

    low = make_admission(unit, by=nurse, substances=(("diazepam", "20"),))
    active(
        low,
        physician,
        agents=[{"agent": "diazepam", "daily_dose_mg": "20"}],
        strategy="outpatient",
    )
    assert "dose_above_discharge" not in _codes(low)


def test_chlordiazepoxide_is_compared_in_diazepam(unit, nurse, physician):
    admission = make_admission(unit, by=nurse, substances=(("diazepam", "20"),))
    # 20 mg diazepam = 50 mg chlordiazepoxide (x 2.5): not above the discharge dose.
    active(
        admission,
        physician,
        agents=[{"agent": "diazepam", "daily_dose_mg": "20"}],
        strategy="outpatient",
        target_agent="chlordiazepoxide",
    )
    assert "dose_above_discharge" not in _codes(admission)


def test_escalation_ciwa_and_unrecorded_doses(unit, nurse, physician):
    admission = make_admission(unit, by=nurse)
    now = timezone.now()
    a = make_assessment(
        admission, by=nurse, total=30, assessed_at=now - dt.timedelta(hours=5), next_due_minutes=60
    )
    Escalation.objects.create(admission=admission, assessment=a, kind="severe_band", reason="x")
    codes = _codes(admission)
    assert codes["open_escalation"] == "block"
    assert codes["ciwa_overdue"] == "warn"
    plan = active(admission, physician)
    last = plan.doses.order_by("-due_at").filter(date=plan.start_date).first()
    # At the last dose time of today every earlier dose of today is due and unrecorded.
    later = last.due_at + dt.timedelta(minutes=1)
    assert _codes(admission, later)["doses_unrecorded"] == "warn"
    assert "doses_unrecorded" not in _codes(
        admission, plan.doses.order_by("due_at")[0].due_at - dt.timedelta(minutes=1)
    )


def test_nurse_cannot_discharge_over_a_blocker(unit, nurse, physician):
    admission = make_admission(unit, by=nurse)
    active(admission, physician)
    with pytest.raises(ValidationError) as err:
        services.discharge(
            actor=nurse,
            admission=admission,
            discharged_at=timezone.now(),
            reason="Home",
            override_category="against_medical_advice",
            override_reason="Wants to leave",
            acknowledge_warnings=True,
        )
    assert "Only a physician" in str(err.value)
    admission.refresh_from_db()
    assert admission.is_open
    assert not DischargeRecord.objects.exists()


def test_physician_discharges_with_reason_recorded(unit, nurse, physician):
    admission = make_admission(unit, by=nurse)
    active(admission, physician)
    with pytest.raises(ValidationError) as err:
        services.discharge(
            actor=physician,
            admission=admission,
            discharged_at=timezone.now(),
            reason="Home",
            acknowledge_warnings=True,
        )
    assert "override_category" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.discharge(
            actor=physician,
            admission=admission,
            discharged_at=timezone.now(),
            reason="Home",
            override_category="transfer_to_hospital",
            acknowledge_warnings=True,
        )
    assert "override_reason" in err.value.message_dict
    record = services.discharge(
        actor=physician,
        admission=admission,
        discharged_at=timezone.now(),
        reason="Transferred to the general hospital",
        override_category="transfer_to_hospital",
        override_reason="Chest pain, needs cardiology",
        acknowledge_warnings=True,
    )
    admission.refresh_from_db()
    assert not admission.is_open
    assert record.override_category == "transfer_to_hospital"
    assert record.override_reason == "Chest pain, needs cardiology"
    assert record.readiness[0]["code"] == "dose_above_discharge"
    assert AuditEvent.objects.filter(action="discharge.readiness_recorded").exists()


def test_warnings_need_acknowledgement(unit, nurse):
    admission = make_admission(unit, by=nurse)
    make_assessment(
        admission,
        by=nurse,
        assessed_at=timezone.now() - dt.timedelta(hours=5),
        next_due_minutes=60,
    )
    with pytest.raises(ValidationError) as err:
        services.discharge(
            actor=nurse, admission=admission, discharged_at=timezone.now(), reason="Home"
        )
    assert "acknowledge_warnings" in err.value.message_dict
    record = services.discharge(
        actor=nurse,
        admission=admission,
        discharged_at=timezone.now(),
        reason="Home",
        acknowledge_warnings=True,
    )
    assert record.warnings_acknowledged and record.override_category == ""


def test_plain_discharge_of_patients_app_is_guarded(unit, nurse, physician, api):
    admission = make_admission(unit, by=nurse)
    active(admission, physician)
    response = api(physician).post(
        f"/api/v1/admissions/{admission.public_id}/discharge/",
        {"discharged_at": timezone.now().isoformat(), "reason": "Home"},
        format="json",
    )
    assert response.status_code == 400
    assert "Not ready for discharge" in str(response.json())
    admission.refresh_from_db()
    assert admission.is_open


def test_plain_discharge_still_works_when_nothing_blocks(unit, nurse, api):
    admission = make_admission(unit, by=nurse)
    response = api(nurse).post(
        f"/api/v1/admissions/{admission.public_id}/discharge/",
        {"discharged_at": timezone.now().isoformat(), "reason": "Home"},
        format="json",
    )
    assert response.status_code == 200, response.content


def test_admin_cannot_discharge(unit, nurse, admin_user):
    admission = make_admission(unit, by=nurse)
    with pytest.raises(PermissionDenied):
        services.discharge(
            actor=admin_user, admission=admission, discharged_at=timezone.now(), reason="x"
        )


def test_double_submit_is_refused(unit, nurse):
    admission = make_admission(unit, by=nurse)
    services.discharge(actor=nurse, admission=admission, discharged_at=timezone.now(), reason="x")
    with pytest.raises(ValidationError) as err:
        services.discharge(
            actor=nurse, admission=admission, discharged_at=timezone.now(), reason="x"
        )
    assert "already discharged" in str(err.value)
    assert DischargeRecord.objects.count() == 1


def test_plan_waiting_for_a_second_signature_is_listed(unit, nurse, physician, settings):
    settings.TAPER_SECOND_SIGNATURE = True
    admission = make_admission(unit, by=nurse)
    plan = active(admission, physician)  # 80 mg/day: above 40 needs a specialist
    plan.refresh_from_db()
    assert plan.status == "awaiting_second"
    codes = _codes(admission)
    assert codes["plan_awaiting_second_signature"] == "warn"
    assert "dose_above_discharge" not in codes


def test_a_plan_signed_late_in_the_day_still_blocks_on_its_partial_first_day(
    unit, nurse, physician
):
    """Day 1 of a plan signed late holds only its last dose time (and the SA Health test dose),
    but the patient is on the plan's full daily dose: the discharge check reads the
    prescription, not the sum of the day's remaining dose rows (which was 10 mg here)."""
    admission = make_admission(unit, by=nurse)
    tomorrow = unit.local_now().date() + dt.timedelta(days=1)
    draft = taper_services.plan_create_draft(
        admission=admission, actor=physician, data=plan_data(unit, start_date=tomorrow.isoformat())
    )
    last_time = taper_services.dose_times(draft)[-1]
    plan = taper_services.plan_sign(
        plan=draft,
        actor=physician,
        password=PASSWORD,
        expected_version=draft.lock_version,
        start_date=tomorrow,
        first_dose_time=last_time,
    )
    day_one = list(plan.doses.filter(date=tomorrow).values_list("mg", flat=True))
    assert len(day_one) == 1 and sum(day_one) <= 20  # one (test) dose left on day 1
    noon = dt.datetime.combine(tomorrow, dt.time(12), tzinfo=unit.tz)
    items = {i["code"]: i for i in selectors.readiness_for(admission, noon)}
    assert items["dose_above_discharge"]["level"] == "block"
    assert "80 mg/day" in items["dose_above_discharge"]["message"]


def test_a_plan_that_starts_tomorrow_blocks_today(unit, nurse, physician):
    """Signed in the evening with its first dose tomorrow: today the patient is about to need
    the first step's 80 mg/day, which is not a dose to discharge on."""
    admission = make_admission(unit, by=nurse)
    tomorrow = unit.local_now().date() + dt.timedelta(days=1)
    draft = taper_services.plan_create_draft(
        admission=admission, actor=physician, data=plan_data(unit, start_date=tomorrow.isoformat())
    )
    taper_services.plan_sign(
        plan=draft,
        actor=physician,
        password=PASSWORD,
        expected_version=draft.lock_version,
        start_date=tomorrow,
    )
    assert _codes(admission)["dose_above_discharge"] == "block"
