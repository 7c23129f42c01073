"""API input and output shapes, kept apart. Input serializers check types only; every rule
(ranges, times, discharged admissions) lives in ``inputs.validate`` so the form and the API
give the same answers. No ModelSerializer on input: its automatic unique validator on the
idempotency key would check-then-insert and fail concurrent retries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments.inputs import OBSERVATIONS, AssessmentInput
from assessments.limits import VITAL_FIELDS
from assessments.models import Assessment
from clinical.ciwa_b import UNABLE_REASON_LABELS


class VitalsIn(serializers.Serializer):
    heart_rate = serializers.IntegerField(required=False, allow_null=True)
    systolic_bp = serializers.IntegerField(required=False, allow_null=True)
    diastolic_bp = serializers.IntegerField(required=False, allow_null=True)
    temperature_c = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, allow_null=True
    )
    respiratory_rate = serializers.IntegerField(required=False, allow_null=True)
    spo2 = serializers.IntegerField(required=False, allow_null=True)


class ObservationsIn(serializers.Serializer):
    seizure = serializers.BooleanField(required=False, default=False)
    hallucinations = serializers.BooleanField(required=False, default=False)
    confusion = serializers.BooleanField(required=False, default=False)
    suicidal_thoughts = serializers.BooleanField(required=False, default=False)


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "reason": {"type": "string", "enum": [str(r) for r in UNABLE_REASON_LABELS]}
        },
        "required": ["reason"],
        "nullable": True,
    }
)
class UnableField(serializers.Field):
    """``{"reason": "confused"}`` or just ``"confused"``."""

    default_error_messages = {
        "invalid": "Give the reason: one of {choices}.",
    }

    def to_internal_value(self, data: Any) -> str:
        reason = data.get("reason") if isinstance(data, dict) else data
        if not isinstance(reason, str) or reason not in UNABLE_REASON_LABELS:
            self.fail("invalid", choices=", ".join(str(r) for r in UNABLE_REASON_LABELS))
        return reason

    def to_representation(self, value: str) -> dict[str, str]:
        return {"reason": value}


class AssessmentIn(serializers.Serializer):
    admission = serializers.UUIDField()
    assessed_at = serializers.DateTimeField(required=False, allow_null=True)
    # Nulls and wrong lengths are let through to the domain check, which names the item.
    items = serializers.ListField(
        child=serializers.IntegerField(allow_null=True), required=False, allow_null=True
    )
    unable_to_assess = UnableField(required=False, allow_null=True)
    vitals = VitalsIn(required=False)
    sedation_level = serializers.IntegerField(required=False, allow_null=True)
    observations = ObservationsIn(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    recorded_offline_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When Save was pressed on a device that queued the entry offline (device "
        "clock, with its zone). Used as assessed_at when that is not given; refused when in "
        "the future or older than OFFLINE_ENTRY_MAX_AGE_HOURS.",
    )

    def to_entry(self) -> AssessmentInput:
        data: dict[str, Any] = self.validated_data
        vitals = {k: v for k, v in (data.get("vitals") or {}).items() if v is not None}
        observations = data.get("observations") or {}
        unable = data.get("unable_to_assess")
        return AssessmentInput(
            assessed_at=data.get("assessed_at"),
            items=data.get("items"),
            unable_reason=unable or None,
            vitals=vitals,
            sedation_level=data.get("sedation_level"),
            notes=data.get("notes", ""),
            recorded_offline_at=data.get("recorded_offline_at"),
            **{name: bool(observations.get(name, False)) for name in OBSERVATIONS},
        )


class EnteredInErrorIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class FlagOut(serializers.Serializer):
    code = serializers.CharField()
    level = serializers.CharField()
    reason = serializers.CharField()
    source = serializers.CharField()


class AssessmentOut(serializers.Serializer):
    """Built from stored fields only, so a replayed response equals the original."""

    def to_representation(self, a: Assessment) -> dict[str, Any]:
        temperature = a.temperature_c
        vitals = {name: getattr(a, name) for name in VITAL_FIELDS}
        if temperature is not None:
            vitals["temperature_c"] = float(Decimal(temperature).quantize(Decimal("0.1")))
        dt_field = serializers.DateTimeField()
        return {
            "id": str(a.public_id),
            "admission": str(a.admission.public_id),
            "assessed_at": dt_field.to_representation(a.assessed_at),
            "recorded_at": dt_field.to_representation(a.recorded_at),
            "recorded_offline_at": (
                dt_field.to_representation(a.recorded_offline_at) if a.recorded_offline_at else None
            ),
            "is_late_entry": a.is_late_entry,
            "entered_by": a.entered_by.display_name,
            "instrument": {"code": a.instrument_code, "version": a.instrument_version},
            "items": a.items,
            "total": a.total,
            "band": a.band or None,
            "unable_to_assess": {"reason": a.unable_reason} if a.unable_reason else None,
            "vitals": vitals,
            "sedation_level": a.sedation_level,
            "observations": {name: getattr(a, name) for name in OBSERVATIONS},
            "notes": a.notes,
            "flags": a.flags,
            "highest_flag_level": a.highest_flag_level or None,
            "rules_version": a.rules_version,
            "next_due_at": dt_field.to_representation(a.next_due_at) if a.next_due_at else None,
            "next_due_reason": a.next_due_reason,
            "notify_physician": a.notify_physician,
            "status": a.status,
            "entered_in_error": (
                {
                    "reason": a.error_reason,
                    "at": dt_field.to_representation(a.error_marked_at),
                    "by": a.error_marked_by.display_name if a.error_marked_by else None,
                }
                if not a.is_valid
                else None
            ),
        }
