"""PostgreSQL triggers: signed summaries, aftercare plan versions and discharge records are
never changed or deleted, and follow-ups and patient links never deleted.

- aftercare_dischargesummary: UPDATE of anything but ``status`` / ``superseded_at`` refused
  (superseding is the only change); DELETE refused.
- aftercare_aftercareplan: UPDATE of anything but ``superseded_at`` refused; DELETE refused.
- aftercare_dischargerecord: UPDATE and DELETE refused.
- aftercare_followupappointment, aftercare_patientlink: DELETE refused.
SQLite (development) relies on the model-level guards (aftercare.models.AppendOnlyModel).
"""

from django.db import migrations

SUMMARY_COLUMNS = [
    "public_id",
    "admission_id",
    "version",
    "supersedes_id",
    "amendment_reason",
    "content",
    "canonical_json",
    "digest",
    "content_version",
    "signed_by_id",
    "printed_name",
    "role",
    "signed_at",
    "meaning",
    "second_factor",
]
PLAN_COLUMNS = [
    "public_id",
    "admission_id",
    "version",
    "supersedes_id",
    "change_reason",
    "level_of_care",
    "level_reason",
    "referrals",
    "support_groups",
    "other_support",
    "triggers",
    "warning_signs",
    "coping_strategies",
    "people_to_call",
    "family_involvement",
    "consent_to_share",
    "consent_details",
    "created_by_id",
    "created_at",
]


def _changed(columns: list[str]) -> str:
    # jsonb has equality; IS DISTINCT FROM handles NULLs.
    return " OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in columns)


FORWARD = f"""
CREATE OR REPLACE FUNCTION cnt_aftercare_summary_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'discharge summaries are never deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF {_changed(SUMMARY_COLUMNS)} THEN
        RAISE EXCEPTION 'a signed discharge summary cannot be changed; amend it'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER aftercare_dischargesummary_guard
    BEFORE UPDATE OR DELETE ON aftercare_dischargesummary
    FOR EACH ROW EXECUTE FUNCTION cnt_aftercare_summary_guard();

CREATE OR REPLACE FUNCTION cnt_aftercare_plan_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'aftercare plans are never deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF {_changed(PLAN_COLUMNS)} THEN
        RAISE EXCEPTION 'an aftercare plan version cannot be changed; save a new version'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER aftercare_aftercareplan_guard
    BEFORE UPDATE OR DELETE ON aftercare_aftercareplan
    FOR EACH ROW EXECUTE FUNCTION cnt_aftercare_plan_guard();

CREATE OR REPLACE FUNCTION cnt_aftercare_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are kept (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER aftercare_dischargerecord_immutable
    BEFORE UPDATE OR DELETE ON aftercare_dischargerecord
    FOR EACH ROW EXECUTE FUNCTION cnt_aftercare_immutable();
CREATE TRIGGER aftercare_followupappointment_no_delete
    BEFORE DELETE ON aftercare_followupappointment
    FOR EACH ROW EXECUTE FUNCTION cnt_aftercare_immutable();
CREATE TRIGGER aftercare_patientlink_no_delete
    BEFORE DELETE ON aftercare_patientlink
    FOR EACH ROW EXECUTE FUNCTION cnt_aftercare_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS aftercare_patientlink_no_delete ON aftercare_patientlink;
DROP TRIGGER IF EXISTS aftercare_followupappointment_no_delete ON aftercare_followupappointment;
DROP TRIGGER IF EXISTS aftercare_dischargerecord_immutable ON aftercare_dischargerecord;
DROP TRIGGER IF EXISTS aftercare_aftercareplan_guard ON aftercare_aftercareplan;
DROP TRIGGER IF EXISTS aftercare_dischargesummary_guard ON aftercare_dischargesummary;
DROP FUNCTION IF EXISTS cnt_aftercare_immutable();
DROP FUNCTION IF EXISTS cnt_aftercare_plan_guard();
DROP FUNCTION IF EXISTS cnt_aftercare_summary_guard();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("aftercare", "0001_discharge_aftercare_summary")]

    operations = [migrations.RunPython(forward, backward)]
