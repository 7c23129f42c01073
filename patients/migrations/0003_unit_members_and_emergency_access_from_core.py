"""Issue 17: ``User.units`` and ``EmergencyAccess`` come from core (migration 0009 there).

State only: ``Unit.members`` keeps the table ``core_user_units`` (columns user_id and unit_id,
one row per pair, as before) and ``EmergencyAccess`` keeps ``core_emergencyaccess`` with its
index, so no row moves and nothing is rebuilt. Only the content type row changes app label,
so the model's permissions (and the role groups holding them), admin log entries and anything
else pointing at it follow the model.
"""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODEL = "emergencyaccess"


def _move_content_type(apps, from_label: str, to_label: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    LogEntry = apps.get_model("admin", "LogEntry")
    old = ContentType.objects.filter(app_label=from_label, model=MODEL).first()
    if old is None:
        return  # a new database: post_migrate creates the content type under its new label
    new = ContentType.objects.filter(app_label=to_label, model=MODEL).first()
    if new is None:
        old.app_label = to_label
        old.save(update_fields=["app_label"])
        return
    # Both exist (post_migrate ran with a state holding both): fold the old one into the new
    # one, so no permission grant or log entry is lost when the stale one is removed.
    LogEntry.objects.filter(content_type=old).update(content_type=new)
    for permission in Permission.objects.filter(content_type=old):
        twin = Permission.objects.filter(content_type=new, codename=permission.codename).first()
        if twin is None:
            permission.content_type = new
            permission.save(update_fields=["content_type"])
        else:
            twin.group_set.add(*permission.group_set.all())
            twin.user_set.add(*permission.user_set.all())


def forwards(apps, schema_editor) -> None:
    _move_content_type(apps, "core", "patients")


def backwards(apps, schema_editor) -> None:
    _move_content_type(apps, "patients", "core")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_intake_basis_and_substance_error"),
        ("core", "0009_move_user_units_and_emergency_access_to_patients"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="unit",
                    name="members",
                    field=models.ManyToManyField(
                        blank=True,
                        db_table="core_user_units",
                        related_name="units",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.CreateModel(
                    name="EmergencyAccess",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        ("reason", models.TextField()),
                        ("granted_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("expires_at", models.DateTimeField(db_index=True)),
                        ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                        ("review_note", models.TextField(blank=True)),
                        (
                            "admission",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="emergency_accesses",
                                to="patients.admission",
                            ),
                        ),
                        (
                            "reviewed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="emergency_accesses",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "emergency accesses",
                        "db_table": "core_emergencyaccess",
                        "ordering": ["-granted_at"],
                        "indexes": [
                            models.Index(
                                fields=["user", "expires_at"],
                                name="core_emerge_user_id_0ba828_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
