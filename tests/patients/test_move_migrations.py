"""Issue 17's state-only move keeps the data: memberships (``core_user_units``), emergency
grants (``core_emergencyaccess``) and the grant's content type with its permissions, role
group and admin log entries, migrating forward from main's head and back again."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cnt_detox.core.models import User
from cnt_detox.core.roles import Role
from patients.models import EmergencyAccess, Unit
from tests.factories import make_admission

MOVE = importlib.import_module(
    "patients.migrations.0003_unit_members_and_emergency_access_from_core"
)
# Migrations on SQLite cannot run inside the test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("core", "0008_audit_seal_row_mac"),
    ("patients", "0002_intake_basis_and_substance_error"),
]
MOVED = {"core", "patients"}
AFTER = [
    ("core", "0009_move_user_units_and_emergency_access_to_patients"),
    ("patients", "0003_unit_members_and_emergency_access_from_core"),
]


def migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate core and patients to ``targets`` (every other app at its latest); the apps."""
    executor = MigrationExecutor(connection)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in MOVED]
    executor.migrate([*targets, *others])
    ContentType.objects.clear_cache()
    # A fresh loader: the one that migrated still holds the plan it started from.
    return MigrationExecutor(connection).loader.project_state([*targets, *others]).apps


def test_memberships_grants_and_permissions_survive_the_move(make_user):
    ward = Unit.objects.create(name="Ward M", time_zone="Europe/London")
    far = Unit.objects.create(name="Ward F", time_zone="Europe/London")
    for unit, label in ((ward, "M1"), (far, "F1")):
        unit.beds.create(label=label)
    admission = make_admission(far)
    admin_pk = make_user("adminm", Role.ADMIN).pk
    nurse_pk = make_user("nursem", Role.NURSE).pk

    old = migrate(BEFORE)
    OldUser = old.get_model("core", "User")
    OldGrant = old.get_model("core", "EmergencyAccess")
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldLogEntry = old.get_model("admin", "LogEntry")
    assert not OldContentType.objects.filter(app_label="patients", model="emergencyaccess")
    grant_type = OldContentType.objects.get(app_label="core", model="emergencyaccess")
    # Written through core's relation and model, as main's code wrote them.
    OldUser.objects.get(pk=nurse_pk).units.add(ward.pk, far.pk)
    OldUser.objects.get(pk=admin_pk).units.add(ward.pk)
    now = timezone.now()
    grant = OldGrant.objects.create(
        user_id=nurse_pk,
        admission_id=admission.pk,
        reason="Patient collapsed in the corridor",
        granted_at=now,
        expires_at=now + dt.timedelta(minutes=60),
    )
    OldLogEntry.objects.create(
        user_id=admin_pk,
        content_type_id=grant_type.pk,
        object_id=str(grant.pk),
        object_repr="grant",
        action_flag=1,
    )

    migrate(AFTER)
    nurse = User.objects.get(pk=nurse_pk)
    assert set(nurse.units.values_list("name", flat=True)) == {"Ward M", "Ward F"}
    assert set(ward.members.values_list("username", flat=True)) == {"nursem", "adminm"}
    moved = EmergencyAccess.objects.get()
    assert (moved.pk, moved.user, moved.admission) == (grant.pk, nurse, admission)
    assert EmergencyAccess.objects.active().count() == 1
    content_type = ContentType.objects.get_for_model(EmergencyAccess)
    assert (content_type.pk, content_type.app_label) == (grant_type.pk, "patients")
    assert not ContentType.objects.filter(app_label="core", model="emergencyaccess").exists()
    admins = User.objects.get(pk=admin_pk)
    assert admins.has_perm("patients.view_emergencyaccess")
    assert LogEntry.objects.get().get_edited_object() == moved


@pytest.mark.django_db
def test_a_content_type_under_both_labels_is_folded_into_the_new_one():
    # Had post_migrate created patients.emergencyaccess before the rename, the old one's
    # grants and log entries must still end up on the new one.
    new = ContentType.objects.get_for_model(EmergencyAccess)
    old = ContentType.objects.create(app_label="core", model="emergencyaccess")
    stale_view = Permission.objects.create(
        content_type=old, codename="view_emergencyaccess", name="Can view"
    )
    only_old = Permission.objects.create(content_type=old, codename="audit_emergencyaccess")
    group = Group.objects.create(name="reviewers")
    group.permissions.add(stale_view)
    root = User.objects.create_superuser("root", "root@example.org", "x")
    entry = LogEntry.objects.create(
        user=root, content_type=old, object_id="1", object_repr="grant", action_flag=1
    )
    MOVE.forwards(global_apps, None)
    assert group.permissions.filter(content_type=new, codename="view_emergencyaccess").exists()
    only_old.refresh_from_db()
    entry.refresh_from_db()
    assert only_old.content_type == new and entry.content_type == new
