"""Plan API: drafts with If-Match, signing, amending, forbidden paths, dose records."""

from __future__ import annotations

import hashlib

import pytest

from cnt_detox.core.models import AuditEvent
from tapering.models import DoseAdministration, PlanStatus, ScheduledDose, TaperPlan
from tests.conftest import PASSWORD


def plans_url(admission):
    return f"/api/v1/admissions/{admission.public_id}/taper-plans/"


def plan_url(plan, action=""):
    return f"/api/v1/taper-plans/{plan.public_id}/" + (f"{action}/" if action else "")


@pytest.mark.django_db
def test_physician_creates_edits_signs_and_amends(api, physician, admission, plan_data):
    client = api(physician)
    created = client.post(plans_url(admission), plan_data, format="json")
    assert created.status_code == 201, created.content
    plan_id, version = created.json()["id"], created.json()["lock_version"]
    assert created["ETag"] == f'"{version}"'
    plan = TaperPlan.objects.get(public_id=plan_id)

    edited = client.put(
        plan_url(plan),
        {**plan_data, "target_agent": "chlordiazepoxide"},
        format="json",
        HTTP_IF_MATCH=f'"{version}"',
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["lock_version"] == version + 1

    signed = client.post(
        plan_url(plan, "sign"),
        {"password": PASSWORD},
        format="json",
        HTTP_IF_MATCH=f'"{version + 1}"',
    )
    assert signed.status_code == 200, signed.content
    data = signed.json()
    assert data["status"] == "active"
    sig = data["signature"]
    assert sig["meaning"] == "approved taper plan"
    assert sig["printed_name"] == physician.display_name and sig["role"] == "physician"
    plan.refresh_from_db()
    assert sig["digest"] == hashlib.sha256(plan.canonical_json.encode()).hexdigest()
    assert ScheduledDose.objects.filter(plan=plan).count() > 0

    amended = client.post(plan_url(plan, "amend"), {"reason": "Too sedated"}, format="json")
    assert amended.status_code == 201, amended.content
    new = TaperPlan.objects.get(public_id=amended.json()["id"])
    assert new.version == 2 and new.supersedes == plan and new.status == PlanStatus.DRAFT
    signed2 = client.post(
        plan_url(new, "sign"),
        {"password": PASSWORD, "override_reason": "inpatient taper, supervised"},
        format="json",
        HTTP_IF_MATCH=f'"{new.lock_version}"',
    )
    assert signed2.status_code == 200, signed2.content
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUPERSEDED
    assert AuditEvent.objects.filter(action="taper_plan.signed").count() == 2


@pytest.mark.django_db
def test_stale_or_missing_if_match(api, physician, draft, plan_data):
    client = api(physician)
    assert client.put(plan_url(draft), plan_data, format="json").status_code == 428
    ok = client.put(plan_url(draft), plan_data, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200
    # A second physician still holding version 1 cannot overwrite the first one's edit.
    stale = client.put(plan_url(draft), plan_data, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert "reload" in stale.json()["error"]["message"]
    sign = client.post(
        plan_url(draft, "sign"), {"password": PASSWORD}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert sign.status_code == 412
    assert (
        api(physician)
        .post(plan_url(draft, "sign"), {"password": PASSWORD}, format="json")
        .status_code
        == 428
    )


@pytest.mark.django_db
def test_nurse_cannot_create_edit_or_sign(api, nurse, admission, draft, plan_data):
    client = api(nurse)
    assert client.post(plans_url(admission), plan_data, format="json").status_code == 403
    assert (
        client.put(plan_url(draft), plan_data, format="json", HTTP_IF_MATCH='"1"').status_code
        == 403
    )
    response = client.post(
        plan_url(draft, "sign"), {"password": PASSWORD}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == PlanStatus.DRAFT
    # Nurses can read plans.
    assert client.get(plan_url(draft)).status_code == 200


@pytest.mark.django_db
def test_wrong_password_signs_nothing(api, physician, draft):
    response = api(physician).post(
        plan_url(draft, "sign"), {"password": "nope"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]
    draft.refresh_from_db()
    assert draft.status == PlanStatus.DRAFT
    assert not ScheduledDose.objects.exists()
    assert AuditEvent.objects.filter(action="taper_plan.sign_refused").exists()


@pytest.mark.django_db
def test_signed_plan_cannot_be_edited_through_the_api(api, physician, active_plan, plan_data):
    response = api(physician).put(
        plan_url(active_plan),
        plan_data,
        format="json",
        HTTP_IF_MATCH=f'"{active_plan.lock_version}"',
    )
    assert response.status_code == 409
    assert "amend" in response.json()["error"]["message"]
    again = api(physician).post(
        plan_url(active_plan, "sign"), {"password": PASSWORD}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert again.status_code == 409


@pytest.mark.django_db
def test_amend_needs_a_reason(api, physician, active_plan):
    response = api(physician).post(plan_url(active_plan, "amend"), {"reason": " "}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    assert TaperPlan.objects.count() == 1


@pytest.mark.django_db
def test_rule_violation_needs_override_reason(api, physician, admission, unit, plan_data):
    custom = {
        **plan_data,
        "strategy": "custom",
        "params": {"time_slots": ["08:00", "20:00"]},
        "custom_steps": [
            {"days": 14, "daily_total_mg": "40"},
            {"days": 14, "daily_total_mg": "20"},
            {"days": 1, "daily_total_mg": "0"},
        ],
    }
    client = api(physician)
    created = client.post(plans_url(admission), custom, format="json")
    assert created.status_code == 201, created.content
    assert "rate_rule_exceeded" in created.json()["plan"]["violations"]
    plan = TaperPlan.objects.get(public_id=created.json()["id"])
    refused = client.post(
        plan_url(plan, "sign"), {"password": PASSWORD}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert refused.status_code == 400
    assert "override_reason" in refused.json()["error"]["fields"]
    signed = client.post(
        plan_url(plan, "sign"),
        {"password": PASSWORD, "override_reason": "Patient request, reviewed with pharmacist"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert signed.status_code == 200
    assert signed.json()["signature"]["override_reason"].startswith("Patient request")
    assert signed.json()["signature"]["overridden_codes"] == ["rate_rule_exceeded"]


@pytest.mark.django_db
def test_other_units_admission_and_plan_are_404(
    api, other_physician, other_nurse, admission, draft, plan_data
):
    assert (
        api(other_physician).post(plans_url(admission), plan_data, format="json").status_code == 404
    )
    assert api(other_physician).get(plan_url(draft)).status_code == 404
    assert (
        api(other_nurse).get(f"/api/v1/admissions/{admission.public_id}/doses/").status_code == 404
    )


@pytest.mark.django_db
def test_nurse_records_doses(api, nurse, admission, active_plan):
    client = api(nurse)
    listing = client.get(f"/api/v1/admissions/{admission.public_id}/doses/")
    assert listing.status_code == 200
    doses = listing.json()["doses"]
    assert len(doses) == 4 and doses[0]["units"].endswith("tablet")
    url = f"/api/v1/scheduled-doses/{doses[0]['id']}/administrations/"
    given = client.post(url, {"outcome": "given"}, format="json")
    assert given.status_code == 201, given.content
    twice = client.post(url, {"outcome": "given"}, format="json")
    assert twice.status_code == 400
    assert "already recorded" in str(twice.json()["error"]["fields"])
    held = client.post(
        f"/api/v1/scheduled-doses/{doses[1]['id']}/administrations/",
        {"outcome": "held"},
        format="json",
    )
    assert held.status_code == 400 and "held_reason" in held.json()["error"]["fields"]
    other = client.post(
        f"/api/v1/scheduled-doses/{doses[1]['id']}/administrations/",
        {"outcome": "held", "held_reason": "other"},
        format="json",
    )
    assert "reason_text" in other.json()["error"]["fields"]
    # Correction: entered in error, then record again.
    record_id = given.json()["id"]
    no_reason = client.post(
        f"/api/v1/dose-administrations/{record_id}/entered-in-error/", {}, format="json"
    )
    assert no_reason.status_code == 400
    marked = client.post(
        f"/api/v1/dose-administrations/{record_id}/entered-in-error/",
        {"reason": "wrong patient"},
        format="json",
    )
    assert marked.status_code == 200
    assert client.post(url, {"outcome": "refused"}, format="json").status_code == 201
    assert DoseAdministration.objects.count() == 2
    assert AuditEvent.objects.filter(action__startswith="dose.").count() == 3


@pytest.mark.django_db
def test_dose_against_superseded_plan_is_refused(api, nurse, physician, active_plan):
    from tapering import services

    dose = ScheduledDose.objects.filter(plan=active_plan).first()
    draft = services.plan_amend(plan=active_plan, actor=physician, reason="Slower")
    services.plan_sign(
        plan=draft,
        actor=physician,
        password=PASSWORD,
        expected_version=draft.lock_version,
        override_reason="supervised",
    )
    response = api(nurse).post(
        f"/api/v1/scheduled-doses/{dose.public_id}/administrations/",
        {"outcome": "given"},
        format="json",
    )
    assert response.status_code == 409
    assert "superseded" in response.json()["error"]["message"]
    assert not DoseAdministration.objects.exists()


@pytest.mark.django_db
def test_enrolled_physician_cannot_sign_without_the_one_time_code(api, physician, draft):
    """Issue 8: a physician with two-factor login signs with password AND one-time code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.security.conftest import totp_now

    device = TOTPDevice.objects.create(user=physician, name="phone", confirmed=True)
    client = api(physician)
    headers = {"HTTP_IF_MATCH": f'"{draft.lock_version}"'}
    url = plan_url(draft, "sign")

    missing = client.post(url, {"password": PASSWORD}, format="json", **headers)
    assert missing.status_code == 400
    assert "otp_code" in missing.json()["error"]["fields"]
    wrong = client.post(url, {"password": PASSWORD, "otp_code": "000000"}, format="json", **headers)
    assert wrong.status_code == 400
    draft.refresh_from_db()
    assert draft.status == PlanStatus.DRAFT  # nothing signed
    # A wrong code throttles the device for a while (django-otp); wait it out.
    device.refresh_from_db()
    device.throttle_reset()

    signed = client.post(
        url, {"password": PASSWORD, "otp_code": totp_now(device)}, format="json", **headers
    )
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "active"


@pytest.mark.django_db
def test_sign_api_takes_start_date_and_first_dose_time(api, physician, draft, unit):
    import datetime as dt

    tomorrow = (unit.local_now() + dt.timedelta(days=1)).date()
    response = api(physician).post(
        plan_url(draft, "sign"),
        {"password": PASSWORD, "start_date": tomorrow.isoformat(), "first_dose_time": "12:00"},
        format="json",
        HTTP_IF_MATCH=f'"{draft.lock_version}"',
    )
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.start_date == tomorrow
    first = ScheduledDose.objects.filter(plan=draft).order_by("due_at").first()
    assert (first.date, first.time.strftime("%H:%M")) == (tomorrow, "12:00")
    bad = api(physician).post(
        plan_url(draft, "sign"),
        {"password": PASSWORD, "first_dose_time": "13:00"},
        format="json",
        HTTP_IF_MATCH=f'"{draft.lock_version}"',
    )
    assert bad.status_code in (400, 409)


@pytest.mark.django_db
def test_dose_before_the_plan_was_signed_or_the_admission_is_refused(
    api, nurse, admission, active_plan
):
    # Issue 20 item 6: a plan signed at 23:31 accepted a dose "given" at 12:30 that day.
    import datetime as dt

    dose = ScheduledDose.objects.filter(plan=active_plan).order_by("due_at").first()
    url = f"/api/v1/scheduled-doses/{dose.public_id}/administrations/"
    signed_at = active_plan.signature.signed_at
    before_signing = client_post = api(nurse).post(
        url,
        {"outcome": "given", "occurred_at": (signed_at - dt.timedelta(minutes=1)).isoformat()},
        format="json",
    )
    assert before_signing.status_code == 400
    assert "before the plan was signed" in str(client_post.json()["error"]["fields"]["occurred_at"])
    before_admission = api(nurse).post(
        url,
        {
            "outcome": "given",
            "occurred_at": (admission.admitted_at - dt.timedelta(minutes=1)).isoformat(),
        },
        format="json",
    )
    assert before_admission.status_code == 400
    assert "before the admission" in str(before_admission.json()["error"]["fields"])
    assert not DoseAdministration.objects.exists()
