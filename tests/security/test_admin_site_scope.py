"""Issue 18.2: the admin site cannot escalate, lists only the admin's units, audits changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cnt_detox.core.models import AuditEvent, User
from cnt_detox.core.roles import Role
from cnt_detox.core.services import api_token_issue
from notifications.models import EscalationChainMember
from patients.models import Unit

pytestmark = pytest.mark.django_db


def change_url(user):
    return reverse("admin:core_user_change", args=[user.pk])


def user_form(user, **overrides):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "role": user.role,
        "units": [u.pk for u in user.units.all()],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_probes_escalation_post_is_refused(client, admin_user, nurse, unit, other_unit):
    client.force_login(admin_user)
    response = client.post(
        change_url(nurse),
        user_form(nurse, role=Role.PHYSICIAN, units=[unit.pk, other_unit.pk], is_superuser="on")
        | {"is_staff": "on"},
    )
    assert response.status_code == 200  # the form refuses the other unit
    nurse.refresh_from_db()
    assert not nurse.is_superuser and not nurse.is_staff
    assert list(nurse.units.all()) == [unit] and nurse.role == Role.NURSE
    # Without the foreign unit the change goes through, and superuser/staff are ignored.
    response = client.post(
        change_url(nurse), user_form(nurse, role=Role.PHYSICIAN, is_superuser="on", is_staff="on")
    )
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert nurse.role == Role.PHYSICIAN and not nurse.is_superuser and not nurse.is_staff
    event = AuditEvent.objects.get(action="admin.user.changed")
    assert event.changes["role"] == {"old": "nurse", "new": "physician"}
    assert event.actor == admin_user


def test_other_units_users_are_not_found_nor_listed(client, admin_user, other_nurse):
    client.force_login(admin_user)
    response = client.get(change_url(other_nurse))
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    response = client.post(change_url(other_nurse), user_form(other_nurse, role=Role.ADMIN))
    assert response.status_code == 302
    other_nurse.refresh_from_db()
    assert other_nurse.role == Role.NURSE
    listing = client.get(reverse("admin:core_user_changelist")).content.decode()
    assert other_nurse.username not in listing and "Ward 2" not in listing
    assert admin_user.username in listing


def test_units_the_admin_does_not_run_are_kept(client, admin_user, make_user, unit, other_unit):
    both = make_user("float", Role.NURSE, unit, other_unit)
    client.force_login(admin_user)
    response = client.post(change_url(both), user_form(both, units=[unit.pk], last_name="Moved"))
    assert response.status_code == 302
    assert set(both.units.all()) == {unit, other_unit}


def test_admin_cannot_change_their_own_role(client, admin_user, unit):
    client.force_login(admin_user)
    response = client.post(change_url(admin_user), user_form(admin_user, role=Role.PHYSICIAN))
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_granting_the_admin_role_is_audited_and_shown(client, admin_user, nurse):
    client.force_login(admin_user)
    client.post(change_url(nurse), user_form(nurse, role=Role.ADMIN))
    nurse.refresh_from_db()
    assert nurse.role == Role.ADMIN and nurse.is_staff
    grant = AuditEvent.objects.get(action="admin.role_granted")
    assert grant.changes["role"] == {"old": "nurse", "new": "admin"}
    page = client.get(reverse("core:audit")).content.decode()
    assert "made <strong>nurse1</strong> an admin" in page


def test_deactivation_ends_api_tokens(client, api, admin_user, nurse):
    _, key = api_token_issue(actor=nurse)
    client.force_login(admin_user)
    response = client.post(change_url(nurse), user_form(nurse, is_active=None))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.token_revoked").exists()
    api_client = api()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/units/").status_code == 401


def test_new_users_get_only_the_admins_units(client, admin_user, unit, other_unit):
    client.force_login(admin_user)
    data = {
        "username": "newnurse",
        "usable_password": "true",
        "password1": "Tulip lantern 47 orbit",
        "password2": "Tulip lantern 47 orbit",
        "role": Role.NURSE,
        "units": [other_unit.pk],
    }
    assert client.post(reverse("admin:core_user_add"), data).status_code == 200
    assert not User.objects.filter(username="newnurse").exists()
    response = client.post(reverse("admin:core_user_add"), {**data, "units": [unit.pk]})
    assert response.status_code == 302
    created = User.objects.get(username="newnurse")
    assert list(created.units.all()) == [unit] and created.role == Role.NURSE
    assert AuditEvent.objects.filter(action="admin.user.created").exists()


def test_units_beds_rosters_chains_and_rules_are_scoped(client, admin_user, unit, other_unit):
    client.force_login(admin_user)
    assert (
        client.get(reverse("admin:patients_unit_change", args=[other_unit.pk])).status_code == 302
    )
    listing = client.get(reverse("admin:patients_unit_changelist")).content.decode()
    assert "Ward 1" in listing and "Ward 2" not in listing
    for name in (
        "admin:notifications_unitoncall_add",
        "admin:notifications_escalationchainmember_add",
        "admin:assessments_unitintervalrules_add",
    ):
        page = client.get(reverse(name)).content.decode()
        assert "Ward 2" not in page, name


def test_unit_and_bed_changes_are_audited_with_old_and_new(client, admin_user, unit):
    client.force_login(admin_user)
    beds = list(unit.beds.order_by("pk"))
    data = {"name": "Ward One", "time_zone": unit.time_zone}
    data |= {
        "beds-TOTAL_FORMS": str(len(beds)),
        "beds-INITIAL_FORMS": str(len(beds)),
        "beds-MIN_NUM_FORMS": "0",
        "beds-MAX_NUM_FORMS": "1000",
    }
    for i, bed in enumerate(beds):
        data |= {f"beds-{i}-id": bed.pk, f"beds-{i}-unit": unit.pk, f"beds-{i}-label": bed.label}
        data[f"beds-{i}-active"] = "on"
    data["beds-0-label"] = "Bay 1"
    response = client.post(reverse("admin:patients_unit_change", args=[unit.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    unit_event = AuditEvent.objects.get(action="admin.unit.changed")
    assert unit_event.changes["name"] == {"old": "Ward 1", "new": "Ward One"}
    bed_event = AuditEvent.objects.get(action="admin.bed.changed")
    assert bed_event.changes["label"] == {"old": "B1", "new": "Bay 1"}


def test_chain_member_changes_are_audited(client, admin_user, unit, physician):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:notifications_escalationchainmember_add"),
        {"unit": unit.pk, "position": 1, "user": physician.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member = EscalationChainMember.objects.get()
    event = AuditEvent.objects.get(action="admin.escalationchainmember.created")
    assert event.changes["user"]["new"] == str(physician)
    client.post(
        reverse("admin:notifications_escalationchainmember_delete", args=[member.pk]),
        {"post": "yes"},
    )
    assert AuditEvent.objects.filter(action="admin.escalationchainmember.deleted").exists()


def test_a_new_unit_belongs_to_the_admin_who_made_it(client, admin_user):
    client.force_login(admin_user)
    data = {
        "name": "Ward 9",
        "time_zone": "Europe/London",
        "beds-TOTAL_FORMS": "0",
        "beds-INITIAL_FORMS": "0",
        "beds-MIN_NUM_FORMS": "0",
        "beds-MAX_NUM_FORMS": "1000",
    }
    assert client.post(reverse("admin:patients_unit_add"), data).status_code == 302
    assert admin_user.units.filter(name="Ward 9").exists()
    assert Unit.objects.filter(name="Ward 9").count() == 1


def test_lockouts_of_other_units_are_not_listed(client, admin_user, nurse, other_nurse):
    from axes.models import AccessAttempt

    for user in (nurse, other_nurse):
        AccessAttempt.objects.create(
            username=user.username, ip_address="10.0.0.9", user_agent="x", failures_since_start=5
        )
    client.force_login(admin_user)
    listing = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert nurse.username in listing and other_nurse.username not in listing
    theirs = AccessAttempt.objects.get(username=other_nurse.username)
    url = reverse("admin:axes_accessattempt_delete", args=[theirs.pk])
    client.post(url, {"post": "yes"})
    assert AccessAttempt.objects.filter(pk=theirs.pk).exists()
    mine = AccessAttempt.objects.get(username=nurse.username)
    client.post(reverse("admin:axes_accessattempt_delete", args=[mine.pk]), {"post": "yes"})
    assert not AccessAttempt.objects.filter(pk=mine.pk).exists()
    assert AuditEvent.objects.filter(action="admin.accessattempt.deleted").exists()


def test_role_of_a_user_shared_with_another_unit_stays(
    client, admin_user, make_user, unit, other_unit
):
    both = make_user("float2", Role.NURSE, unit, other_unit)
    client.force_login(admin_user)
    response = client.post(change_url(both), user_form(both, role=Role.ADMIN, units=[unit.pk]))
    assert response.status_code == 200
    assert "units you do not run" in response.content.decode()
    both.refresh_from_db()
    assert both.role == Role.NURSE
    assert not AuditEvent.objects.filter(action="admin.role_granted").exists()


# Issue 17 moved the relation to patients (Unit.members; user.units is its other side), so the
# user form's units field is declared by patients/admin.py. These pin what the model field did.


def test_the_admins_own_units_are_shown_and_kept(client, admin_user, unit):
    client.force_login(admin_user)
    page = client.get(change_url(admin_user))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="readonly">Ward 1<' in html and 'name="units"' not in html
    response = client.post(change_url(admin_user), user_form(admin_user, units=[]))
    assert response.status_code == 302
    assert list(admin_user.units.all()) == [unit]


def test_unit_changes_are_audited_by_name(client, admin_user, make_user, unit):
    third = Unit.objects.create(name="Ward 3", time_zone="Europe/London")
    admin_user.units.add(third)
    nurse = make_user("nurse9", Role.NURSE, unit)
    client.force_login(admin_user)
    page = client.get(change_url(nurse)).content.decode()
    assert "Ward 3" in page and "Ward 2" not in page
    response = client.post(change_url(nurse), user_form(nurse, units=[unit.pk, third.pk]))
    assert response.status_code == 302
    assert set(nurse.units.all()) == {unit, third}
    event = AuditEvent.objects.get(action="admin.user.changed")
    assert event.changes["units"] == {"old": ["Ward 1"], "new": ["Ward 1", "Ward 3"]}


def test_the_server_superuser_sets_any_units(client, nurse, unit, other_unit):
    root = User.objects.create_superuser("root", "root@example.org", "Tulip lantern 47 orbit")
    client.force_login(root)
    assert "Ward 2" in client.get(change_url(nurse)).content.decode()
    response = client.post(
        change_url(nurse),
        user_form(nurse, units=[other_unit.pk])
        | {"date_joined_0": "2026-01-01", "date_joined_1": "08:00:00"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(nurse.units.all()) == [other_unit]


def test_unit_members_are_set_on_the_users_page_only(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:patients_unit_add")).content.decode()
    assert 'name="members"' not in page
