"""Aftercare plan versions: never edited or deleted, a change is a new version with a reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from aftercare import selectors, services
from aftercare.models import AftercarePlan, FrozenRecordError
from tests.factories import make_admission

pytestmark = pytest.mark.django_db


def data(groups, **kw):
    return {
        "level_of_care": "intensive_outpatient",
        "level_reason": "Lives alone; daily structure helps",
        "referrals": [
            {
                "kind": "cbt",
                "provider": "Riverside psychology",
                "first_appointment": "2027-01-05T10:00",
            }
        ],
        "support_groups": [groups[0].pk],
        "triggers": "Being alone at night",
        "warning_signs": "Not sleeping, skipping meals",
        "coping_strategies": "Walk the dog, call my sister",
        "people_to_call": "Sister Ann 0400 000 000",
        "family_involvement": "Sister attends the first session",
        "consent_to_share": True,
        "consent_details": "Sister Ann: appointments and taper doses",
        **kw,
    }


def test_first_version_then_a_new_version_keeps_the_old(unit, nurse, groups):
    admission = make_admission(unit, by=nurse)
    v1 = services.aftercare_plan_save(actor=nurse, admission=admission, data=data(groups))
    assert v1.version == 1 and v1.is_current
    assert v1.support_groups[0]["name"] == "SMART Recovery"
    with pytest.raises(ValidationError) as err:
        services.aftercare_plan_save(
            actor=nurse, admission=admission, data=data(groups, level_of_care="residential")
        )
    assert "change_reason" in err.value.message_dict
    v2 = services.aftercare_plan_save(
        actor=nurse,
        admission=admission,
        data=data(groups, level_of_care="residential"),
        change_reason="Relapse risk higher than thought",
        expected_version=1,
    )
    v1.refresh_from_db()
    assert v2.version == 2 and v2.supersedes_id == v1.pk
    assert not v1.is_current and v1.level_of_care == "intensive_outpatient"
    assert [p.version for p in selectors.aftercare_versions(admission)] == [2, 1]
    assert selectors.current_aftercare(admission).pk == v2.pk


def test_snapshot_survives_a_change_of_the_facility_list(unit, nurse, groups):
    admission = make_admission(unit, by=nurse)
    plan = services.aftercare_plan_save(actor=nurse, admission=admission, data=data(groups))
    groups[0].name = "Renamed"
    groups[0].save()
    plan.refresh_from_db()
    assert plan.support_groups[0]["name"] == "SMART Recovery"


def test_never_edited_nor_deleted(unit, nurse, groups):
    admission = make_admission(unit, by=nurse)
    plan = services.aftercare_plan_save(actor=nurse, admission=admission, data=data(groups))
    plan.triggers = "changed"
    with pytest.raises(FrozenRecordError):
        plan.save()
    with pytest.raises(FrozenRecordError):
        plan.delete()
    assert AftercarePlan.objects.get(pk=plan.pk).triggers == "Being alone at night"


def test_stale_version_is_refused(unit, nurse, groups):
    admission = make_admission(unit, by=nurse)
    services.aftercare_plan_save(actor=nurse, admission=admission, data=data(groups))
    with pytest.raises(ValidationError) as err:
        services.aftercare_plan_save(
            actor=nurse,
            admission=admission,
            data=data(groups),
            change_reason="x",
            expected_version=0,
        )
    assert "meanwhile" in str(err.value)
    assert AftercarePlan.objects.count() == 1


def test_bad_input_is_field_errors_and_nothing_saved(unit, nurse, groups):
    admission = make_admission(unit, by=nurse)
    with pytest.raises(ValidationError) as err:
        services.aftercare_plan_save(
            actor=nurse,
            admission=admission,
            data=data(
                groups,
                level_of_care="spa",
                level_reason="",
                referrals=[{"kind": "magic", "provider": "", "first_appointment": "soon"}],
                support_groups=[99999],
                consent_details="",
            ),
        )
    fields = err.value.message_dict
    for name in (
        "level_of_care",
        "level_reason",
        "referrals.0.kind",
        "referrals.0.provider",
        "referrals.0.first_appointment",
        "support_groups",
        "consent_details",
    ):
        assert name in fields, name
    assert not AftercarePlan.objects.exists()


def test_api_versions(unit, nurse, groups, api, other_nurse, admin_user):
    admission = make_admission(unit, by=nurse)
    url = f"/api/v1/admissions/{admission.public_id}/aftercare-plans/"
    assert api(nurse).post(url, {"level_of_care": ""}, format="json").status_code == 400
    created = api(nurse).post(url, data(groups), format="json")
    assert created.status_code == 201, created.content
    second = api(nurse).post(
        url,
        {**data(groups), "change_reason": "More support", "expected_version": 1},
        format="json",
    )
    assert second.status_code == 201
    listed = api(nurse).get(url).json()
    assert [p["version"] for p in listed] == [2, 1] and listed[0]["current"]
    assert api(other_nurse).get(url).status_code == 404
    assert api(admin_user).get(url).status_code == 403
