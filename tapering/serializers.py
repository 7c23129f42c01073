"""API input and output shapes of the tapering app, kept apart.

Input serializers check types only; every rule (doses, dates, strategies) lives in
``tapering.inputs`` and the services, so the builder page and the API give the same answers.

Output serializers declare the shape the OpenAPI schema shows, and build each body from the
stored fields with the same formatting the API always used (ISO times from ``isoformat()``,
milligrams as plain strings from ``format_mg``): the declared fields document it, and
``to_representation`` is the one place that writes it. ``tests/tapering/test_api_shapes.py``
checks that the two agree.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from clinical.taper.plan import to_dict
from clinical.taper.rounding import format_mg
from tapering import selectors, services
from tapering.models import DoseAdministration, PlanStatus, RecordStatus, TaperPlan

# --- input -----------------------------------------------------------------------------------


class PreviewIn(serializers.Serializer):
    """Documentation only: the body is parsed by tapering.inputs.request_from_data."""

    agents = serializers.ListField(child=serializers.DictField())
    target_agent = serializers.ChoiceField(["diazepam", "chlordiazepoxide"], default="diazepam")
    table = serializers.CharField(required=False)
    strategy = serializers.ChoiceField(["inpatient", "outpatient", "custom"], default="inpatient")
    params = serializers.DictField(required=False)
    custom_steps = serializers.ListField(child=serializers.DictField(), required=False)
    start_date = serializers.DateField()
    age = serializers.IntegerField(required=False)
    hepatic_impairment = serializers.BooleanField(required=False)
    epilepsy = serializers.BooleanField(required=False)
    withdrawal_seizures = serializers.BooleanField(required=False)


class SignIn(serializers.Serializer):
    password = serializers.CharField(required=False, allow_blank=True, default="")
    otp_code = serializers.CharField(required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    start_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default: next dose time's day."
    )
    first_dose_time = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="One of the plan's dose times (HH:MM); earlier times of the start date are "
        "not scheduled. Default: the next dose time from now.",
    )


class SecondSignIn(serializers.Serializer):
    password = serializers.CharField(write_only=True)
    otp_code = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DoseRecordIn(serializers.Serializer):
    outcome = serializers.CharField()
    held_reason = serializers.CharField(required=False, allow_blank=True, default="")
    reason_text = serializers.CharField(required=False, allow_blank=True, default="")
    occurred_at = serializers.CharField(required=False, allow_blank=True, default="")
    recorded_offline_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When Save was pressed on a device that queued the entry offline (device "
        "clock, with its zone). Used as occurred_at when that is not given; refused when in "
        "the future or older than OFFLINE_ENTRY_MAX_AGE_HOURS.",
    )


# --- output: the computed plan (clinical.taper.plan.to_dict) ---------------------------------

_MG = {"help_text": 'Milligrams as a plain decimal string, e.g. "7.5".'}


def _mg() -> serializers.CharField:
    return serializers.CharField(**_MG)


class TableRefOut(serializers.Serializer):
    id = serializers.CharField()
    version = serializers.CharField()


class ConversionOut(serializers.Serializer):
    agent = serializers.CharField()
    daily_dose_mg = _mg()
    diazepam_mg = _mg()
    range_mg = serializers.ListField(child=_mg(), min_length=2, max_length=2)
    other_tables = serializers.DictField(
        child=serializers.ListField(child=_mg(), min_length=2, max_length=2),
        help_text="Diazepam-equivalent range of this agent in each other table, by table id.",
    )


class UnitsOut(serializers.Serializer):
    strength_mg = _mg()
    count = _mg()


class StepDoseOut(serializers.Serializer):
    time = serializers.CharField(help_text="HH:MM, unit-local.")
    mg = _mg()
    units = UnitsOut(many=True)


class StepOut(serializers.Serializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    daily_total_mg = _mg()
    unrounded_mg = _mg()
    doses = StepDoseOut(many=True)
    note = serializers.CharField()
    derivation = serializers.CharField()
    limited_by_tablet_size = serializers.BooleanField()


class DispenseTotalOut(serializers.Serializer):
    strength_mg = _mg()
    form = serializers.CharField()
    count = serializers.CharField(help_text="Units, may end in .5 for halved tablets.")
    whole_units = serializers.IntegerField()


class WarningOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    source = serializers.CharField()


class TestDoseOut(serializers.Serializer):
    time = serializers.CharField()
    mg = _mg()
    instruction = serializers.CharField()


class TaperResultOut(serializers.Serializer):
    """A computed plan: the preview's answer and the ``plan`` of each stored version."""

    table = TableRefOut()
    target_agent = serializers.CharField()
    strategy = serializers.CharField()
    rules_version = serializers.CharField()
    conversions = ConversionOut(many=True)
    diazepam_equivalent_mg = _mg()
    starting_daily_mg = _mg()
    steps = StepOut(many=True)
    dispense_totals = DispenseTotalOut(many=True)
    warnings = WarningOut(many=True)
    violations = serializers.ListField(child=serializers.CharField())
    first_dose_time = serializers.CharField(allow_null=True)
    test_dose = TestDoseOut(allow_null=True)

    def to_representation(self, result: Any) -> dict[str, Any]:
        return to_dict(result)


# --- output: plan versions -------------------------------------------------------------------


class PlanInputsOut(serializers.Serializer):
    """The builder inputs a version was computed from (``tapering.inputs.request_to_data``)."""

    agents = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    target_agent = serializers.CharField()
    table = serializers.CharField()
    strategy = serializers.CharField()
    params = serializers.DictField()
    start_date = serializers.DateField()
    age = serializers.IntegerField(allow_null=True)
    hepatic_impairment = serializers.BooleanField()
    epilepsy = serializers.BooleanField()
    withdrawal_seizures = serializers.BooleanField()
    stabilisation_cap_mg = _mg()
    custom_steps = serializers.ListField(child=serializers.DictField())
    first_dose_time = serializers.CharField(allow_null=True)


class SignatureOut(serializers.Serializer):
    printed_name = serializers.CharField()
    role = serializers.CharField()
    signed_at = serializers.DateTimeField()
    meaning = serializers.CharField()
    digest = serializers.CharField()
    override_reason = serializers.CharField()
    overridden_codes = serializers.ListField(child=serializers.CharField())


class SecondSignatureOut(serializers.Serializer):
    printed_name = serializers.CharField()
    role = serializers.CharField()
    signed_at = serializers.DateTimeField()
    meaning = serializers.CharField()
    digest = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class PlanOut(serializers.Serializer):
    """One plan version. The response also carries ``ETag: "<lock_version>"`` for If-Match."""

    id = serializers.UUIDField()
    admission = serializers.UUIDField()
    version = serializers.IntegerField()
    lock_version = serializers.IntegerField()
    status = serializers.ChoiceField(PlanStatus.choices)
    supersedes = serializers.UUIDField(allow_null=True)
    amendment_reason = serializers.CharField()
    status_reason = serializers.CharField()
    inputs = PlanInputsOut()
    plan = TaperResultOut()
    content_digest = serializers.CharField()
    signature = SignatureOut(allow_null=True)
    second_signature = SecondSignatureOut(allow_null=True)
    second_signature_needed = serializers.ListField(
        child=serializers.CharField(), help_text="Why a second signature is needed, if it is."
    )

    def to_representation(self, plan: TaperPlan) -> dict[str, Any]:
        signed = plan.is_signed
        signature = getattr(plan, "signature", None) if signed else None
        second = getattr(plan, "second_signature", None) if signed else None
        return {
            "id": str(plan.public_id),
            "admission": str(plan.admission.public_id),
            "version": plan.version,
            "lock_version": plan.lock_version,
            "status": plan.status,
            "supersedes": str(plan.supersedes.public_id) if plan.supersedes_id else None,
            "amendment_reason": plan.amendment_reason,
            "status_reason": plan.status_reason,
            "inputs": plan.inputs,
            "plan": plan.result,
            "content_digest": plan.content_digest,
            "signature": None if signature is None else _signature(signature),
            "second_signature": None if second is None else _second_signature(second),
            "second_signature_needed": list(services.second_signature_reasons_for(plan))
            if signed
            else [],
        }


def _signature(signature: Any) -> dict[str, Any]:
    return {
        "printed_name": signature.printed_name,
        "role": signature.role,
        "signed_at": signature.signed_at.isoformat(),
        "meaning": signature.meaning,
        "digest": signature.digest,
        "override_reason": signature.override_reason,
        "overridden_codes": signature.overridden_codes,
    }


def _second_signature(second: Any) -> dict[str, Any]:
    return {
        "printed_name": second.printed_name,
        "role": second.role,
        "signed_at": second.signed_at.isoformat(),
        "meaning": second.meaning,
        "digest": second.digest,
        "reasons": second.reasons,
    }


# --- output: doses ---------------------------------------------------------------------------


class SedationAdviceOut(serializers.Serializer):
    """``tapering.selectors.sedation_advice``: the latest valid sedation level and whether
    sedating doses are advised held (clinical.risk.sedation)."""

    hold = serializers.BooleanField()
    level = serializers.IntegerField(allow_null=True)
    assessed_at = serializers.DateTimeField(allow_null=True)
    unable_reason = serializers.CharField(allow_null=True)


class DoseRecordSummaryOut(serializers.Serializer):
    id = serializers.UUIDField()
    outcome = serializers.CharField()
    held_reason = serializers.CharField()
    reason_text = serializers.CharField()
    occurred_at = serializers.DateTimeField()


class ScheduledDoseOut(serializers.Serializer):
    id = serializers.UUIDField()
    date = serializers.DateField()
    time = serializers.CharField(help_text="HH:MM, unit-local.")
    due_at = serializers.DateTimeField()
    mg = _mg()
    units = serializers.CharField(help_text="The tablets or capsules, in words.")
    state = serializers.ChoiceField(["recorded", "due", "late", "missed", "upcoming"])
    record = DoseRecordSummaryOut(allow_null=True)

    def to_representation(self, row: selectors.DoseRow) -> dict[str, Any]:
        record = row.record
        return {
            "id": str(row.dose.public_id),
            "date": row.dose.date.isoformat(),
            "time": row.dose.time.strftime("%H:%M"),
            "due_at": row.dose.due_at.isoformat(),
            "mg": format_mg(row.dose.mg),
            "units": row.dose.units_text,
            "state": row.state,
            "record": None
            if record is None
            else {
                "id": str(record.public_id),
                "outcome": record.outcome,
                "held_reason": record.held_reason,
                "reason_text": record.reason_text,
                "occurred_at": record.occurred_at.isoformat(),
            },
        }


class DoseDayOut(serializers.Serializer):
    """The active plan's doses on one unit-local day, with the sedation advice."""

    date = serializers.DateField()
    time_zone = serializers.CharField()
    sedation = SedationAdviceOut()
    doses = ScheduledDoseOut(many=True)

    def to_representation(self, day: dict[str, Any]) -> dict[str, Any]:
        return {
            "date": day["date"].isoformat(),
            "time_zone": day["time_zone"],
            "sedation": day["sedation"],
            "doses": [ScheduledDoseOut().to_representation(r) for r in day["rows"]],
        }


class DoseRecordOut(serializers.Serializer):
    """The saved record (or, for a retry with the same Idempotency-Key, the original)."""

    id = serializers.UUIDField()
    outcome = serializers.CharField()
    status = serializers.ChoiceField(RecordStatus.choices)
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    recorded_offline_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, record: DoseAdministration) -> dict[str, Any]:
        # DRF's own datetime format here (not isoformat()), as the offline queue expects.
        dt_field = serializers.DateTimeField()
        return {
            "id": str(record.public_id),
            "outcome": record.outcome,
            "status": record.status,
            "occurred_at": dt_field.to_representation(record.occurred_at),
            "recorded_at": dt_field.to_representation(record.recorded_at),
            "recorded_offline_at": (
                dt_field.to_representation(record.recorded_offline_at)
                if record.recorded_offline_at
                else None
            ),
        }


class DoseInErrorOut(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(RecordStatus.choices)

    def to_representation(self, record: DoseAdministration) -> dict[str, Any]:
        return {"id": str(record.public_id), "status": record.status}
