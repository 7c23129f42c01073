"""API shapes of patients and admissions. Input and output serializers are kept apart.

Input serializers only parse types (decimal strings, ISO times, UUIDs); every rule (ranges,
free beds, MRN identity, times in the future) is in patients/services.py so the HTML form and
the API give the same answers.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinical.equivalence import DoseBand
from clinical.risk import DOSE_UNKNOWN, LEVELS_BY_SEVERITY
from patients.models import Sex

# --- input -------------------------------------------------------------------------------------


class PatientIn(serializers.Serializer):
    mrn = serializers.CharField(max_length=32)
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField()
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, default=Sex.UNKNOWN)


class PatientPatchIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False)
    last_name = serializers.CharField(max_length=100, required=False)
    date_of_birth = serializers.DateField(required=False)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)


class SubstanceIn(serializers.Serializer):
    agent = serializers.CharField(
        max_length=40, help_text="Lower-case agent name as in equivalence.md, or 'other'."
    )
    other_agent_text = serializers.CharField(max_length=100, required=False, allow_blank=True)
    daily_dose_mg = serializers.DecimalField(max_digits=9, decimal_places=3)
    doses_per_day = serializers.IntegerField(required=False, allow_null=True)
    days_per_week = serializers.IntegerField(required=False, default=7)
    duration_months = serializers.DecimalField(max_digits=6, decimal_places=1)
    last_dose_at = serializers.DateTimeField(required=False, allow_null=True)
    prescribed = serializers.BooleanField(required=False, allow_null=True, default=None)


class HistoryIn(serializers.Serializer):
    withdrawal_seizures = serializers.BooleanField(required=False)
    epilepsy = serializers.BooleanField(required=False)
    withdrawal_psychosis = serializers.BooleanField(required=False)
    alcohol_dependence = serializers.BooleanField(required=False)
    other_cns_depressants = serializers.BooleanField(required=False)
    other_cns_depressants_detail = serializers.CharField(
        max_length=200, required=False, allow_blank=True
    )
    hepatic_impairment = serializers.BooleanField(required=False)
    injecting = serializers.BooleanField(required=False)


class AdmissionCreateIn(serializers.Serializer):
    patient = PatientIn()
    unit = serializers.UUIDField(help_text="Unit id from /api/v1/units/.")
    bed = serializers.UUIDField(help_text="Bed id from /api/v1/units/ (a free bed of the unit).")
    admitted_at = serializers.DateTimeField()
    substances = SubstanceIn(many=True, allow_empty=True)
    history = HistoryIn(required=False)
    referral_notes = serializers.CharField(required=False, allow_blank=True, default="")


class AdmissionPatchIn(serializers.Serializer):
    patient = PatientPatchIn(required=False)
    admitted_at = serializers.DateTimeField(required=False)
    substances = SubstanceIn(
        many=True, required=False, help_text="The whole new list; omitted rows are removed."
    )
    history = HistoryIn(required=False)
    referral_notes = serializers.CharField(required=False, allow_blank=True)


class TransferIn(serializers.Serializer):
    unit = serializers.UUIDField()
    bed = serializers.UUIDField()
    reason = serializers.CharField(allow_blank=True)


class DischargeIn(serializers.Serializer):
    discharged_at = serializers.DateTimeField()
    reason = serializers.CharField(allow_blank=True)


# --- output ------------------------------------------------------------------------------------


class PatientOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    mrn = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    sex = serializers.CharField()


class RefOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField(source="__str__")


class BedRefOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    label = serializers.CharField()


class SubstanceOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    agent = serializers.CharField()
    other_agent_text = serializers.CharField()
    daily_dose_mg = serializers.DecimalField(max_digits=8, decimal_places=3)
    doses_per_day = serializers.IntegerField(allow_null=True)
    days_per_week = serializers.IntegerField()
    duration_months = serializers.DecimalField(max_digits=6, decimal_places=1)
    last_dose_at = serializers.DateTimeField(allow_null=True)
    prescribed = serializers.BooleanField(allow_null=True)
    diazepam_mg = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        allow_null=True,
        help_text="Null when not converted (other/unknown, or not in the table).",
    )
    diazepam_range_low_mg = serializers.DecimalField(
        max_digits=9, decimal_places=2, allow_null=True
    )
    diazepam_range_high_mg = serializers.DecimalField(
        max_digits=9, decimal_places=2, allow_null=True
    )


class HistoryOut(serializers.Serializer):
    withdrawal_seizures = serializers.BooleanField()
    epilepsy = serializers.BooleanField()
    withdrawal_psychosis = serializers.BooleanField()
    alcohol_dependence = serializers.BooleanField()
    other_cns_depressants = serializers.BooleanField()
    other_cns_depressants_detail = serializers.CharField()
    hepatic_impairment = serializers.BooleanField()
    injecting = serializers.BooleanField()


class FlagOut(serializers.Serializer):
    code = serializers.CharField()
    level = serializers.ChoiceField(choices=[level.value for level in LEVELS_BY_SEVERITY])
    reason = serializers.CharField()
    source = serializers.CharField()


class SettingOut(serializers.Serializer):
    # Defaults: admissions made before the intake computed a setting show an empty one.
    # "undecided": an unconverted agent leaves the dose unknown, so nothing is suggested.
    setting = serializers.ChoiceField(
        choices=["inpatient", "outpatient", "undecided", ""], default=""
    )
    reasons = serializers.ListField(child=serializers.CharField(), default=list)
    sources = serializers.ListField(child=serializers.CharField(), default=list)


class RangeOut(serializers.Serializer):
    low_mg = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    high_mg = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)


class UnconvertedOut(serializers.Serializer):
    agent = serializers.CharField()
    reason = serializers.CharField()


class AdmissionOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    patient = PatientOut()
    unit = RefOut()
    bed = BedRefOut()
    status = serializers.CharField()
    admitted_at = serializers.DateTimeField()
    discharged_at = serializers.DateTimeField(allow_null=True)
    discharge_reason = serializers.CharField()
    referral_notes = serializers.CharField()
    substances = SubstanceOut(many=True)
    history = serializers.SerializerMethodField()
    primary_agent = serializers.CharField()
    diazepam_equivalent_mg = serializers.DecimalField(
        max_digits=9, decimal_places=2, allow_null=True
    )
    diazepam_range_across_tables = serializers.SerializerMethodField()
    equivalence_table = serializers.CharField()
    equivalence_table_version = serializers.CharField()
    dose_known = serializers.SerializerMethodField(
        help_text="False when an agent was not converted: diazepam_equivalent_mg is then the "
        "known part only (null when nothing was converted), never the whole dose."
    )
    dose_text = serializers.CharField(
        help_text='The dose in words: "12 mg", "at least 12 mg" or "unknown: not converted".'
    )
    # Band names from clinical.equivalence.DoseBand, in their order, then "unknown".
    dose_band = serializers.ChoiceField(choices=[*(b.value for b in DoseBand), DOSE_UNKNOWN])
    withdrawal_risk = serializers.ChoiceField(choices=["rare", "lower", "expected", "unknown"])
    flags = FlagOut(many=True, source="intake_flags")
    setting_recommendation = SettingOut()
    unconverted = serializers.SerializerMethodField()

    @extend_schema_field(HistoryOut)
    def get_history(self, obj: Any) -> dict[str, Any]:
        return HistoryOut(obj).data

    def get_dose_known(self, obj: Any) -> bool:
        return not obj.dose_unconverted

    @extend_schema_field(RangeOut)
    def get_diazepam_range_across_tables(self, obj: Any) -> dict[str, Any]:
        return RangeOut(
            {"low_mg": obj.diazepam_range_low_mg, "high_mg": obj.diazepam_range_high_mg}
        ).data

    @extend_schema_field(UnconvertedOut(many=True))
    def get_unconverted(self, obj: Any) -> list[dict[str, Any]]:
        return list((obj.intake_basis or {}).get("unconverted", []))


class PatientWithAdmissionOut(PatientOut):
    current_admission = serializers.UUIDField(
        source="current_admission_id",
        allow_null=True,
        help_text="The open admission in your units, if any.",
    )
