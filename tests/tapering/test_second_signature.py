"""A plan above 40 mg/day (or signed with an override) waits for an addiction specialist's
second signature before it is in force (issue 15; tapering.md 1.3, eTG specialist review)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from cnt_detox.core.models import AuditEvent
from tapering import services
from tapering.models import PlanStatus, ScheduledDose
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _second_signature_on(settings):
    settings.TAPER_SECOND_SIGNATURE = True


def sign(plan, physician):
    return services.plan_sign(
        plan=plan, actor=physician, password=PASSWORD, expected_version=plan.lock_version
    )


def test_100_mg_plan_waits_for_a_specialist_then_comes_into_force(
    draft, physician, specialist, nurse
):
    signed = sign(draft, physician)
    assert signed.status == PlanStatus.AWAITING_SECOND_SIGNATURE
    assert "above 40 mg" in signed.status_reason
    assert not ScheduledDose.objects.filter(plan=signed).exists()
    with pytest.raises(PermissionDenied):
        services.plan_second_sign(plan=signed, actor=nurse, password=PASSWORD)
    with pytest.raises(ValidationError, match="not correct"):
        services.plan_second_sign(plan=signed, actor=specialist, password="wrong")
    active = services.plan_second_sign(plan=signed, actor=specialist, password=PASSWORD)
    assert active.status == PlanStatus.ACTIVE
    second = active.second_signature
    assert second.digest == active.signature.digest
    assert second.printed_name == specialist.display_name
    assert ScheduledDose.objects.filter(plan=active).exists()
    assert AuditEvent.objects.filter(action="taper_plan.second_signed").count() == 1
    with pytest.raises(services.PlanNotEditable):
        services.plan_second_sign(plan=active, actor=specialist, password=PASSWORD)


def test_first_signer_cannot_co_sign_and_a_non_specialist_cannot(draft, physician, make_user, unit):
    physician.is_addiction_specialist = True
    physician.save()
    signed = sign(draft, physician)
    with pytest.raises(ValidationError, match="another physician"):
        services.plan_second_sign(plan=signed, actor=physician, password=PASSWORD)
    colleague = make_user("doc3", "physician", unit)
    with pytest.raises(PermissionDenied):
        services.plan_second_sign(plan=signed, actor=colleague, password=PASSWORD)


def test_plan_at_or_below_40_mg_needs_one_signature(admission, physician, plan_data):
    data = {**plan_data, "agents": [{"agent": "diazepam", "daily_dose_mg": "40"}]}
    plan = services.plan_create_draft(admission=admission, actor=physician, data=data)
    assert sign(plan, physician).status == PlanStatus.ACTIVE


def test_amendment_awaiting_keeps_the_plan_in_force(active_plan, physician, specialist):
    active_plan = services.plan_second_sign(plan=active_plan, actor=specialist, password=PASSWORD)
    amendment = services.plan_amend(plan=active_plan, actor=physician, reason="faster")
    awaiting = sign(amendment, physician)
    active_plan.refresh_from_db()
    assert awaiting.status == PlanStatus.AWAITING_SECOND_SIGNATURE
    assert active_plan.status == PlanStatus.ACTIVE
    services.plan_second_sign(plan=awaiting, actor=specialist, password=PASSWORD)
    active_plan.refresh_from_db()
    assert active_plan.status == PlanStatus.SUPERSEDED


def test_plan_page_says_awaiting_and_who_may_co_sign(client, draft, physician, specialist):
    signed = sign(draft, physician)
    client.force_login(physician)
    html = client.get(reverse("tapering:plan", args=[signed.public_id])).content.decode()
    assert "Awaiting second signature" in html
    assert specialist.display_name in html
    assert "Co-sign as addiction specialist" not in html  # the first signer has no form
    client.force_login(specialist)
    url = reverse("tapering:second_sign", args=[signed.public_id])
    bad = client.post(url, {"password": "wrong"})
    assert bad.status_code == 400 and "not correct" in bad.content.decode()
    ok = client.post(url, {"password": PASSWORD})
    assert ok.status_code == 302
    signed.refresh_from_db()
    assert signed.status == PlanStatus.ACTIVE
    html = client.get(reverse("tapering:plan", args=[signed.public_id])).content.decode()
    assert "Second signature (addiction specialist)" in html


def test_api_second_signature(api, draft, physician, specialist, other_physician):
    signed = sign(draft, physician)
    url = reverse("api-taper-second-sign", args=[signed.public_id])
    body = {"password": PASSWORD}
    assert api(other_physician).post(url, body, format="json").status_code == 404
    assert api(physician).post(url, body, format="json").status_code == 403  # not a specialist
    response = api(specialist).post(url, {"password": PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "active"
    assert body["second_signature"]["digest"] == body["signature"]["digest"]


def test_verify_signatures_checks_the_second_signature(draft, physician, specialist, capsys):
    services.plan_second_sign(plan=sign(draft, physician), actor=specialist, password=PASSWORD)
    call_command("verify_signatures", "--rebuild")
    assert "All 1 signed plans verified." in capsys.readouterr().out
