"""Issue 17: core knows no feature app, so ``User.units`` and ``EmergencyAccess`` move to the
patients app (``patients.Unit.members`` and ``patients.EmergencyAccess``).

State only: the tables ``core_user_units`` and ``core_emergencyaccess`` stay as they are, with
their rows; patients migration 0003 takes them into its own state under the same names.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_audit_seal_row_mac"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="user", name="units"),
                migrations.DeleteModel(name="EmergencyAccess"),
            ],
            database_operations=[],
        ),
    ]
