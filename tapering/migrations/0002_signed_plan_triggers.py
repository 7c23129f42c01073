"""PostgreSQL triggers: a signed plan's content never changes and clinical rows are never deleted.

- tapering_taperplan: once a row has left "draft", UPDATE of its content columns (the same
  list as tapering.models.CONTENT_FIELDS) or back to "draft" is refused; DELETE is refused.
- tapering_plansignature and tapering_scheduleddose: UPDATE and DELETE refused.
- tapering_doseadministration: DELETE refused (a wrong record is marked entered in error).
SQLite (development) relies on the model-level guards.
"""

from django.db import migrations

CONTENT_COLUMNS = [
    "admission_id",
    "version",
    "supersedes_id",
    "amendment_reason",
    "inputs",
    "result",
    "canonical_json",
    "content_digest",
    "target_agent",
    "strategy",
    "table_id",
    "table_version",
    "rules_version",
    "start_date",
    "end_date",
    "starting_daily_mg",
    "violations",
    "lock_version",
    "created_by_id",
    "created_at",
    "public_id",
]
_CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CONTENT_COLUMNS)

FORWARD = f"""
CREATE OR REPLACE FUNCTION cnt_taperplan_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'taper plans are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status <> 'draft' AND (NEW.status = 'draft' OR {_CHANGED}) THEN
        RAISE EXCEPTION 'a signed taper plan cannot be changed; amend it'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tapering_taperplan_guard
    BEFORE UPDATE OR DELETE ON tapering_taperplan
    FOR EACH ROW EXECUTE FUNCTION cnt_taperplan_guard();

CREATE OR REPLACE FUNCTION cnt_tapering_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is immutable (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tapering_plansignature_immutable
    BEFORE UPDATE OR DELETE ON tapering_plansignature
    FOR EACH ROW EXECUTE FUNCTION cnt_tapering_immutable();
CREATE TRIGGER tapering_scheduleddose_immutable
    BEFORE UPDATE OR DELETE ON tapering_scheduleddose
    FOR EACH ROW EXECUTE FUNCTION cnt_tapering_immutable();
CREATE TRIGGER tapering_doseadministration_no_delete
    BEFORE DELETE ON tapering_doseadministration
    FOR EACH ROW EXECUTE FUNCTION cnt_tapering_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS tapering_doseadministration_no_delete ON tapering_doseadministration;
DROP TRIGGER IF EXISTS tapering_scheduleddose_immutable ON tapering_scheduleddose;
DROP TRIGGER IF EXISTS tapering_plansignature_immutable ON tapering_plansignature;
DROP TRIGGER IF EXISTS tapering_taperplan_guard ON tapering_taperplan;
DROP FUNCTION IF EXISTS cnt_tapering_immutable();
DROP FUNCTION IF EXISTS cnt_taperplan_guard();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("tapering", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
