"""Taper API: previews, plans (If-Match for edits and signing), doses and dose records.

Thin: parse, resolve through a selector, call one service, serialize. Service refusals map to
the project's error format: field errors 400, signed plan 409, stale version 412, no
If-Match 428.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinical.taper.plan import to_dict
from clinical.taper.rounding import format_mg
from cnt_detox.core.errors import Conflict, PreconditionFailed, PreconditionRequired
from cnt_detox.core.permissions import IsClinician, IsPhysician
from patients.selectors import admission_for_user
from tapering import dose_services, selectors, services
from tapering.models import TaperPlan


class PreviewRequestSerializer(serializers.Serializer):
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


def _if_match(request: Request) -> int:
    raw = request.headers.get("If-Match")
    if not raw:
        raise PreconditionRequired()
    value = raw.strip().removeprefix("W/").strip('"')
    try:
        return int(value)
    except ValueError:
        raise PreconditionFailed(
            f"If-Match must be the plan's version number; got {raw}."
        ) from None


def _call(fn: Any, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except services.PlanNotEditable as err:
        raise Conflict(str(err)) from None
    except services.StaleVersion as err:
        raise PreconditionFailed(str(err)) from None


def plan_data(plan: TaperPlan) -> dict[str, Any]:
    signature = getattr(plan, "signature", None) if plan.is_signed else None
    second = getattr(plan, "second_signature", None) if plan.is_signed else None
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
        "signature": None
        if signature is None
        else {
            "printed_name": signature.printed_name,
            "role": signature.role,
            "signed_at": signature.signed_at.isoformat(),
            "meaning": signature.meaning,
            "digest": signature.digest,
            "override_reason": signature.override_reason,
            "overridden_codes": signature.overridden_codes,
        },
        "second_signature": None
        if second is None
        else {
            "printed_name": second.printed_name,
            "role": second.role,
            "signed_at": second.signed_at.isoformat(),
            "meaning": second.meaning,
            "digest": second.digest,
            "reasons": second.reasons,
        },
        "second_signature_needed": list(services.second_signature_reasons_for(plan))
        if plan.is_signed
        else [],
    }


def _plan_response(plan: TaperPlan, code: int = status.HTTP_200_OK) -> Response:
    return Response(plan_data(plan), status=code, headers={"ETag": f'"{plan.lock_version}"'})


class TaperPreviewView(APIView):
    """Convert a regimen and propose a taper schedule; stores nothing, touches no patient."""

    permission_classes = [IsClinician]

    @extend_schema(request=PreviewRequestSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        return Response(to_dict(services.compute(request.data)))


class AdmissionPlansView(APIView):
    """GET: the admission's plan versions, newest first. POST: a new draft (physicians)."""

    def get_permissions(self) -> list[Any]:
        return [IsPhysician()] if self.request.method == "POST" else [IsClinician()]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        return Response(
            [
                plan_data(p)
                for p in selectors.plans_for_user(request.user)
                .filter(admission=admission)
                .order_by("-version")
            ]
        )

    @extend_schema(request=PreviewRequestSerializer, responses={201: dict})
    def post(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        plan = _call(
            services.plan_create_draft,
            admission=admission,
            by=request.user,
            data=request.data,
            request=request,
        )
        return _plan_response(plan, status.HTTP_201_CREATED)


class PlanView(APIView):
    """GET a plan version; PUT new inputs to a draft with ``If-Match: "<lock_version>"``."""

    def get_permissions(self) -> list[Any]:
        return [IsPhysician()] if self.request.method in ("PUT", "PATCH") else [IsClinician()]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, plan_id: str) -> Response:
        return _plan_response(selectors.plan_for_user(request.user, plan_id))

    @extend_schema(
        request=PreviewRequestSerializer,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
        responses={200: dict},
    )
    def put(self, request: Request, plan_id: str) -> Response:
        plan = selectors.plan_for_user(request.user, plan_id)
        if not plan.is_draft:
            raise Conflict(
                f"Version {plan.version} is signed and cannot be changed; "
                "amend it (POST .../amend/) to make a new version."
            )
        updated = _call(
            services.plan_update_draft,
            plan=plan,
            by=request.user,
            data=request.data,
            expected_version=_if_match(request),
            request=request,
        )
        return _plan_response(updated)

    patch = put


class SignSerializer(serializers.Serializer):
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


class PlanSignView(APIView):
    """Sign a draft: password (and one-time code if enrolled); ``If-Match`` the version read."""

    permission_classes = [IsPhysician]

    @extend_schema(request=SignSerializer, responses={200: dict})
    def post(self, request: Request, plan_id: str) -> Response:
        plan = selectors.plan_for_user(request.user, plan_id)
        body = SignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not plan.is_draft:
            raise Conflict(f"Version {plan.version} is already signed.")
        signed = _call(
            services.plan_sign,
            plan=plan,
            by=request.user,
            password=body.validated_data["password"],
            otp_code=body.validated_data["otp_code"] or None,
            override_reason=body.validated_data["override_reason"],
            start_date=body.validated_data["start_date"],
            first_dose_time=body.validated_data["first_dose_time"] or None,
            expected_version=_if_match(request),
            request=request,
        )
        return _plan_response(selectors.plan_for_user(request.user, signed.public_id))


class SecondSignSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True)
    otp_code = serializers.CharField(required=False, allow_blank=True, default="")


class PlanSecondSignView(APIView):
    """An addiction specialist's second signature on a plan awaiting one (issue 15)."""

    permission_classes = [IsPhysician]

    @extend_schema(request=SecondSignSerializer, responses={200: dict})
    def post(self, request: Request, plan_id: str) -> Response:
        plan = selectors.plan_for_user(request.user, plan_id)
        body = SecondSignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        signed = _call(
            services.plan_second_sign,
            plan=plan,
            by=request.user,
            password=body.validated_data["password"],
            otp_code=body.validated_data["otp_code"] or None,
            request=request,
        )
        return _plan_response(selectors.plan_for_user(request.user, signed.public_id))


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PlanAmendView(APIView):
    """Start an amendment: a new draft version with a reason (400 without one)."""

    permission_classes = [IsPhysician]

    @extend_schema(request=ReasonSerializer, responses={201: dict})
    def post(self, request: Request, plan_id: str) -> Response:
        plan = selectors.plan_for_user(request.user, plan_id)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        draft = _call(
            services.plan_amend,
            plan=plan,
            by=request.user,
            reason=body.validated_data["reason"],
            request=request,
        )
        return _plan_response(draft, status.HTTP_201_CREATED)


class PlanDiscontinueView(APIView):
    permission_classes = [IsPhysician]

    @extend_schema(request=ReasonSerializer, responses={200: dict})
    def post(self, request: Request, plan_id: str) -> Response:
        plan = selectors.plan_for_user(request.user, plan_id)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = _call(
            services.plan_discontinue,
            plan=plan,
            by=request.user,
            reason=body.validated_data["reason"],
            request=request,
        )
        return _plan_response(done)


def _dose_data(row: selectors.DoseRow) -> dict[str, Any]:
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


class AdmissionDosesView(APIView):
    """The active plan's doses on a day (``?date=YYYY-MM-DD``, default unit-local today)."""

    permission_classes = [IsClinician]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        raw = request.query_params.get("date")
        try:
            day = dt.date.fromisoformat(raw) if raw else admission.unit.local_now().date()
        except ValueError:
            raise ValidationError({"date": ["Use YYYY-MM-DD."]}) from None
        rows = selectors.doses_for_day(admission, day)
        return Response(
            {
                "date": day.isoformat(),
                "time_zone": admission.unit.time_zone,
                "sedation": selectors.sedation_advice(admission),
                "doses": [_dose_data(r) for r in rows],
            }
        )


class DoseRecordSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    held_reason = serializers.CharField(required=False, allow_blank=True, default="")
    reason_text = serializers.CharField(required=False, allow_blank=True, default="")
    occurred_at = serializers.CharField(required=False, allow_blank=True, default="")


class DoseRecordView(APIView):
    """Record a scheduled dose as given, held (with reason) or refused."""

    permission_classes = [IsClinician]

    @extend_schema(request=DoseRecordSerializer, responses={201: dict})
    def post(self, request: Request, dose_id: str) -> Response:
        dose = selectors.scheduled_dose_for_user(request.user, dose_id)
        body = DoseRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        occurred = None
        if data["occurred_at"]:
            occurred = parse_datetime(data["occurred_at"])
            if occurred is None or occurred.tzinfo is None:
                raise ValidationError({"occurred_at": ["Use an ISO time with its zone offset."]})
        advice = selectors.sedation_advice(dose.plan.admission)
        record = _call(
            dose_services.dose_record,
            scheduled_dose=dose,
            by=request.user,
            outcome=data["outcome"],
            occurred_at=occurred,
            held_reason=data["held_reason"],
            reason_text=data["reason_text"],
            sedation_advice_shown=advice["hold"],
            request=request,
        )
        return Response(
            {"id": str(record.public_id), "outcome": record.outcome, "status": record.status},
            status=status.HTTP_201_CREATED,
        )


class DoseInErrorView(APIView):
    """Mark a dose record entered in error, with a reason."""

    permission_classes = [IsClinician]

    @extend_schema(request=ReasonSerializer, responses={200: dict})
    def post(self, request: Request, record_id: str) -> Response:
        record = selectors.administration_for_user(request.user, record_id)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = dose_services.dose_mark_in_error(
            administration=record,
            by=request.user,
            reason=body.validated_data["reason"],
            request=request,
        )
        return Response({"id": str(done.public_id), "status": done.status})
