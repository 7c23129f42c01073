"""Pages: builder preview without JavaScript, saving, signing, amending, today's doses."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tapering.models import DoseAdministration, PlanStatus, ScheduledDose, TaperPlan
from tests.conftest import PASSWORD
from tests.factories import make_admission, make_assessment

from .conftest import today


def builder_post(unit, **over):
    data = {
        "agent_0": "alprazolam",
        "dose_0": "4",
        "agent_1": "lorazepam",
        "dose_1": "2",
        "target_agent": "diazepam",
        "table": "ashton-2002",
        "strategy": "inpatient",
        "start_date": today(unit).isoformat(),
        "age": "45",
        "action": "preview",
        "out_doses_per_day": "2",
    }
    data.update(over)
    return data


@pytest.mark.django_db
def test_builder_lists_my_admissions_and_previews(
    client, physician, admission, other_admission, unit
):
    client.force_login(physician)
    page = client.get(reverse("tapering:builder"))
    assert page.status_code == 200
    assert admission.patient.full_name in page.content.decode()
    assert other_admission.patient.full_name not in page.content.decode()
    preview = client.post(reverse("tapering:builder"), builder_post(unit))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Specialist review" in html or "specialist review" in html
    assert "= 2 x 10 mg tablet" in html  # tablets shown per dose
    assert not TaperPlan.objects.exists()


@pytest.mark.django_db
def test_builder_bad_input_shows_form_errors(client, physician, unit):
    client.force_login(physician)
    response = client.post(
        reverse("tapering:builder"), builder_post(unit, dose_0="0", agent_1="", dose_1="")
    )
    assert response.status_code == 400
    assert "Must be more than 0" in response.content.decode()


@pytest.mark.django_db
def test_builder_prefills_from_intake_and_saves_then_signs(client, physician, unit):
    admission = make_admission(unit, by=physician, hepatic_impairment=True)
    client.force_login(physician)
    page = client.get(reverse("tapering:builder") + f"?admission={admission.public_id}")
    assert page.context["form"].initial["dose_0"] == "4"
    assert page.context["form"].initial["hepatic_impairment"] is True
    saved = client.post(
        reverse("tapering:builder"),
        builder_post(
            unit, action="save", admission=str(admission.public_id), target_agent="chlordiazepoxide"
        ),
    )
    plan = TaperPlan.objects.get()
    assert saved.status_code == 302 and saved["Location"] == reverse(
        "tapering:plan", args=[plan.public_id]
    )
    wrong = client.post(
        reverse("tapering:sign", args=[plan.public_id]),
        {"password": "bad", "lock_version": plan.lock_version},
    )
    assert wrong.status_code == 400
    assert "not correct" in wrong.content.decode()
    signed = client.post(
        reverse("tapering:sign", args=[plan.public_id]),
        {"password": PASSWORD, "lock_version": plan.lock_version},
    )
    assert signed.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    page = client.get(reverse("tapering:plan", args=[plan.public_id]))
    html = page.content.decode()
    assert "Approved taper plan" in html and plan.signature.digest in html
    assert client.get(reverse("tapering:print", args=[plan.public_id])).status_code == 200
    # Amend without a reason: nothing created; with a reason: a new draft.
    client.post(reverse("tapering:amend", args=[plan.public_id]), {"reason": ""})
    assert TaperPlan.objects.count() == 1
    amended = client.post(
        reverse("tapering:amend", args=[plan.public_id]), {"reason": "Slower taper"}
    )
    assert amended.status_code == 302 and TaperPlan.objects.count() == 2


@pytest.mark.django_db
def test_edit_of_a_stale_draft_is_refused(client, physician, draft, unit):
    client.force_login(physician)
    url = reverse("tapering:edit", args=[draft.public_id])
    first = client.post(url, builder_post(unit, action="save", lock_version="1"))
    assert first.status_code == 302
    second = client.post(url, builder_post(unit, action="save", lock_version="1"))
    assert second.status_code == 400
    assert "Another physician changed this draft" in second.content.decode()


@pytest.mark.django_db
def test_nurse_cannot_sign_or_build(client, nurse, draft):
    client.force_login(nurse)
    assert client.get(reverse("tapering:builder")).status_code == 403
    response = client.post(
        reverse("tapering:sign", args=[draft.public_id]), {"password": PASSWORD, "lock_version": 1}
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == PlanStatus.DRAFT
    assert client.get(reverse("tapering:plan", args=[draft.public_id])).status_code == 200


@pytest.mark.django_db
def test_other_units_pages_are_404(client, other_nurse, other_physician, admission, draft):
    client.force_login(other_physician)
    assert client.get(reverse("tapering:plan", args=[draft.public_id])).status_code == 404
    assert (
        client.get(reverse("tapering:builder") + f"?admission={admission.public_id}").status_code
        == 404
    )
    client.force_login(other_nurse)
    assert client.get(reverse("tapering:today", args=[admission.public_id])).status_code == 404
    assert (
        client.get(reverse("tapering:plan_for_admission", args=[admission.public_id])).status_code
        == 404
    )


@pytest.mark.django_db
def test_plan_for_admission_without_plan(client, nurse, physician, admission):
    client.force_login(physician)
    page = client.get(reverse("tapering:plan_for_admission", args=[admission.public_id]))
    assert "No taper plan yet" in page.content.decode()
    assert "Build a plan" in page.content.decode()


@pytest.mark.django_db
def test_nurse_records_todays_doses_and_sees_hold_advice(client, nurse, admission, active_plan):
    make_assessment(admission, by=nurse, total=5, sedation_level=2)
    client.force_login(nurse)
    url = reverse("tapering:today", args=[admission.public_id])
    page = client.get(url)
    html = page.content.decode()
    assert "Hold sedating doses" in html
    assert "mg = " in html
    dose = ScheduledDose.objects.filter(plan=active_plan, date=today(admission.unit)).first()
    record = reverse("tapering:record_dose", args=[admission.public_id])
    held = client.post(
        record, {"dose": dose.public_id, "outcome": "held", "held_reason": "sedated"}
    )
    assert held.status_code == 302
    again = client.post(record, {"dose": dose.public_id, "outcome": "given"})
    assert again.status_code == 400
    assert "already recorded" in again.content.decode()
    assert DoseAdministration.objects.count() == 1
    bad = client.post(record, {"dose": dose.public_id})
    assert bad.status_code == 400


@pytest.mark.django_db
def test_today_page_query_count_does_not_grow_with_doses(client, nurse, unit, physician):
    from tapering import dose_services, services

    def count_for(admission):
        with CaptureQueriesContext(connection) as ctx:
            assert (
                client.get(reverse("tapering:today", args=[admission.public_id])).status_code == 200
            )
        return len(ctx)

    client.force_login(nurse)
    small = make_admission(unit, by=nurse)
    big = make_admission(unit, by=nurse)
    for adm, steps in (
        (small, [{"days": 1, "daily_total_mg": "4"}]),
        (big, [{"days": 1, "daily_total_mg": "40"}]),
    ):
        data = {
            "agents": [{"agent": "diazepam", "daily_dose_mg": "40"}],
            "strategy": "custom",
            "start_date": today(unit).isoformat(),
            "params": {"time_slots": ["08:00", "12:00", "17:00", "21:00"]},
            "custom_steps": [*steps, {"days": 1, "daily_total_mg": "0"}],
        }
        plan = services.plan_create_draft(admission=adm, actor=physician, data=data)
        services.plan_sign(
            plan=plan,
            actor=physician,
            password=PASSWORD,
            expected_version=1,
            override_reason="test",
        )
    for d in ScheduledDose.objects.filter(plan__admission=big):
        dose_services.dose_record(scheduled_dose=d, actor=nurse, outcome="given")
    assert count_for(small) == count_for(big)


@pytest.mark.django_db
def test_builder_query_count_does_not_grow_with_admissions(client, physician, unit):
    client.force_login(physician)
    make_admission(unit, by=physician)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("tapering:builder"))
    make_admission(unit, by=physician)
    make_admission(unit, by=physician)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("tapering:builder"))
    assert len(one) == len(three)


def test_print_page_css_names_the_patient_escaped_and_numbers_pages(client, physician, active_plan):
    patient = active_plan.admission.patient
    patient.last_name = 'O"Brien\\'
    patient.save()
    client.force_login(physician)
    response = client.get(reverse("tapering:print-page-css", args=[active_plan.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    css = response.content.decode()
    assert 'O\\"Brien\\\\' in css
    assert 'counter(page) " of " counter(pages)' in css
    assert f"MRN {patient.mrn}" in css


def test_print_page_css_of_another_unit_is_404(client, other_nurse, active_plan):
    client.force_login(other_nurse)
    url = reverse("tapering:print-page-css", args=[active_plan.public_id])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_builder_states_inpatient_limits_and_fast_reduction_needs_override(client, physician, unit):
    # Issue 20 item 2: 60% a day passed with the same warnings as 10%.
    admission = make_admission(unit, by=physician, substances=(("diazepam", "60"),))
    client.force_login(physician)
    page = client.get(reverse("tapering:builder") + f"?admission={admission.public_id}")
    html = page.content.decode()
    assert "10% of the stabilisation dose a day (eTG" in html
    assert "10 mg/day diazepam (SA Health" in html
    saved = client.post(
        reverse("tapering:builder"),
        builder_post(
            unit,
            agent_0="diazepam",
            dose_0="60",
            agent_1="",
            dose_1="",
            action="save",
            admission=str(admission.public_id),
            reduction_percent="60",
        ),
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    plan = TaperPlan.objects.get()
    assert {"inpatient_rate_above_etg", "inpatient_rate_above_sa_health"} <= set(plan.violations)
    page = client.get(reverse("tapering:plan", args=[plan.public_id])).content.decode()
    assert "Rule broken: override reason needed" in page and "eTG" in page
    refused = client.post(
        reverse("tapering:sign", args=[plan.public_id]),
        {"password": PASSWORD, "lock_version": plan.lock_version},
    )
    assert refused.status_code == 400
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    signed = client.post(
        reverse("tapering:sign", args=[plan.public_id]),
        {
            "password": PASSWORD,
            "lock_version": plan.lock_version,
            "override_reason": "Rapid supervised taper agreed with the patient",
        },
    )
    assert signed.status_code == 302
    plan.refresh_from_db()
    assert plan.signature.overridden_codes == [
        "inpatient_rate_above_etg",
        "inpatient_rate_above_sa_health",
    ]


@pytest.mark.django_db
def test_builder_prefills_seizure_history_and_warns_with_source(client, physician, unit):
    # Issue 20 item 3: withdrawal-seizure history from the intake reaches the plan.
    admission = make_admission(unit, by=physician, withdrawal_seizures=True)
    client.force_login(physician)
    page = client.get(reverse("tapering:builder") + f"?admission={admission.public_id}")
    assert page.context["form"].initial["withdrawal_seizures"] is True
    assert 'name="withdrawal_seizures"' in page.content.decode()
    saved = client.post(
        reverse("tapering:builder"),
        builder_post(
            unit, action="save", admission=str(admission.public_id), withdrawal_seizures="on"
        ),
    )
    assert saved.status_code == 302
    plan = TaperPlan.objects.get()
    assert plan.inputs["withdrawal_seizures"] is True
    html = client.get(reverse("tapering:plan", args=[plan.public_id])).content.decode()
    assert "History of seizures in a previous withdrawal" in html
    assert "risk.md (seizure risk); SA Health" in html


@pytest.mark.django_db
def test_sign_form_offers_next_dose_time_and_today_shows_the_test_dose(
    monkeypatch, client, physician, nurse, draft, unit
):
    # Issue 20 item 5: choose start date and first dose time at signing; the day-1 test-dose
    # instruction is on Today's doses.
    import datetime as dt

    from django.utils import timezone

    local = unit.local_now().replace(hour=13, minute=5, second=0, microsecond=0)
    fixed = local.astimezone(dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    client.force_login(physician)
    page = client.get(reverse("tapering:plan", args=[draft.public_id]))
    form = page.context["sign_form"]
    assert form.initial["first_dose_time"] == "17:00"
    assert form.initial["start_date"] == today(unit)
    assert 'name="first_dose_time"' in page.content.decode()
    signed = client.post(
        reverse("tapering:sign", args=[draft.public_id]),
        {
            "password": PASSWORD,
            "lock_version": draft.lock_version,
            "start_date": today(unit).isoformat(),
            "first_dose_time": "17:00",
        },
    )
    assert signed.status_code == 302
    client.force_login(nurse)
    html = client.get(reverse("tapering:today", args=[draft.admission.public_id])).content.decode()
    assert "test tolerance" in html and "repeated after 2 h" in html
    assert "Test dose first" in html
    assert "12:00" not in html.split("dose-list", 1)[1]


@pytest.mark.django_db
def test_today_page_refuses_a_dose_time_before_the_plan_was_signed(client, nurse, active_plan):
    # Issue 20 item 6, on the nurse's page.
    dose = ScheduledDose.objects.filter(plan=active_plan).order_by("due_at").first()
    client.force_login(nurse)
    admission = active_plan.admission
    response = client.post(
        reverse("tapering:record_dose", args=[admission.public_id]),
        {"dose": str(dose.public_id), "outcome": "given", "occurred_time": "00:00"},
    )
    assert "before the plan was signed" in response.content.decode()
    assert not DoseAdministration.objects.exists()


@pytest.mark.django_db
def test_today_page_of_a_plan_that_starts_tomorrow_says_when_the_first_dose_is(
    client, nurse, physician, draft, unit
):
    # Signed after the day's last dose time: no dead end, the empty day names the next dose.
    import datetime as dt

    from tapering import services

    tomorrow = today(unit) + dt.timedelta(days=1)
    services.plan_sign(
        plan=draft,
        actor=physician,
        password=PASSWORD,
        expected_version=draft.lock_version,
        start_date=tomorrow,
        first_dose_time="08:00",
    )
    client.force_login(nurse)
    html = client.get(reverse("tapering:today", args=[draft.admission.public_id])).content.decode()
    assert "No doses scheduled today. Next dose:" in html
    assert f"{tomorrow:%a} {tomorrow.day} {tomorrow:%b}, 08:00" in html
