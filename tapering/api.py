"""Taper API: previews, plans (If-Match for edits and signing), doses and dose records.

Thin: parse, resolve through a selector, call one service, serialize. Service refusals map to
the project's error format: field errors 400, signed plan 409, stale version 412, no
If-Match 428.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cnt_detox.core.audit import Client
from cnt_detox.core.errors import (
    Conflict,
    PreconditionFailed,
    PreconditionRequired,
    Unprocessable,
)
from cnt_detox.core.permissions import IsClinician, IsPhysician
from patients.selectors import admission_for_user
from tapering import dose_services, selectors, services
from tapering.models import TaperPlan
from tapering.serializers import (
    DoseDayOut,
    DoseInErrorOut,
    DoseRecordIn,
    DoseRecordOut,
    PlanOut,
    PreviewIn,
    ReasonIn,
    SecondSignIn,
    SignIn,
    TaperResultOut,
)


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


def _plan_response(plan: TaperPlan, code: int = status.HTTP_200_OK) -> Response:
    return Response(PlanOut(plan).data, status=code, headers={"ETag": f'"{plan.lock_version}"'})


class TaperPreviewView(APIView):
    """Convert a regimen and propose a taper schedule; stores nothing, touches no patient."""

    permission_classes = [IsClinician]

    @extend_schema(request=PreviewIn, responses={200: TaperResultOut})
    def post(self, request: Request) -> Response:
        return Response(TaperResultOut(services.compute(request.data)).data)


class AdmissionPlansView(APIView):
    """GET: the admission's plan versions, newest first. POST: a new draft (physicians)."""

    def get_permissions(self) -> list[Any]:
        return [IsPhysician()] if self.request.method == "POST" else [IsClinician()]

    @extend_schema(responses={200: PlanOut(many=True)})
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        plans = selectors.plans_for_user(request.user).filter(admission=admission)
        return Response(PlanOut(plans.order_by("-version"), many=True).data)

    @extend_schema(request=PreviewIn, responses={201: PlanOut})
    def post(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        plan = _call(
            services.plan_create_draft,
            admission=admission,
            actor=request.user,
            data=request.data,
            client=Client.from_request(request),
        )
        return _plan_response(plan, status.HTTP_201_CREATED)


class PlanView(APIView):
    """GET a plan version; PUT new inputs to a draft with ``If-Match: "<lock_version>"``."""

    def get_permissions(self) -> list[Any]:
        return [IsPhysician()] if self.request.method in ("PUT", "PATCH") else [IsClinician()]

    @extend_schema(responses={200: PlanOut})
    def get(self, request: Request, plan_id: str) -> Response:
        return _plan_response(selectors.plan_for_user(request.user, plan_id))

    @extend_schema(
        request=PreviewIn,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
        responses={200: PlanOut},
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
            actor=request.user,
            data=request.data,
            expected_version=_if_match(request),
            client=Client.from_request(request),
        )
        return _plan_response(updated)

    patch = put


class PlanSignView(APIView):
    """Sign a draft: password (and one-time code if enrolled); ``If-Match`` the version read."""

    permission_classes = [IsPhysician]

    @extend_schema(request=SignIn, responses={200: PlanOut})
    def post(self, request: Request, plan_id: str) -> Response:
        plan = selectors.plan_for_user(request.user, plan_id)
        body = SignIn(data=request.data)
        body.is_valid(raise_exception=True)
        if not plan.is_draft:
            raise Conflict(f"Version {plan.version} is already signed.")
        signed = _call(
            services.plan_sign,
            plan=plan,
            actor=request.user,
            password=body.validated_data["password"],
            otp_code=body.validated_data["otp_code"] or None,
            override_reason=body.validated_data["override_reason"],
            start_date=body.validated_data["start_date"],
            first_dose_time=body.validated_data["first_dose_time"] or None,
            expected_version=_if_match(request),
            client=Client.from_request(request),
        )
        return _plan_response(selectors.plan_for_user(request.user, signed.public_id))


class PlanSecondSignView(APIView):
    """An addiction specialist's second signature on a plan awaiting one (issue 15)."""

    permission_classes = [IsPhysician]

    @extend_schema(request=SecondSignIn, responses={200: PlanOut})
    def post(self, request: Request, plan_id: str) -> Response:
        plan = selectors.plan_for_user(request.user, plan_id)
        body = SecondSignIn(data=request.data)
        body.is_valid(raise_exception=True)
        signed = _call(
            services.plan_second_sign,
            plan=plan,
            actor=request.user,
            password=body.validated_data["password"],
            otp_code=body.validated_data["otp_code"] or None,
            client=Client.from_request(request),
        )
        return _plan_response(selectors.plan_for_user(request.user, signed.public_id))


class PlanAmendView(APIView):
    """Start an amendment: a new draft version with a reason (400 without one)."""

    permission_classes = [IsPhysician]

    @extend_schema(request=ReasonIn, responses={201: PlanOut})
    def post(self, request: Request, plan_id: str) -> Response:
        plan = selectors.plan_for_user(request.user, plan_id)
        body = ReasonIn(data=request.data)
        body.is_valid(raise_exception=True)
        draft = _call(
            services.plan_amend,
            plan=plan,
            actor=request.user,
            reason=body.validated_data["reason"],
            client=Client.from_request(request),
        )
        return _plan_response(draft, status.HTTP_201_CREATED)


class PlanDiscontinueView(APIView):
    permission_classes = [IsPhysician]

    @extend_schema(request=ReasonIn, responses={200: PlanOut})
    def post(self, request: Request, plan_id: str) -> Response:
        plan = selectors.plan_for_user(request.user, plan_id)
        body = ReasonIn(data=request.data)
        body.is_valid(raise_exception=True)
        done = _call(
            services.plan_discontinue,
            plan=plan,
            actor=request.user,
            reason=body.validated_data["reason"],
            client=Client.from_request(request),
        )
        return _plan_response(done)


class AdmissionDosesView(APIView):
    """The active plan's doses on a day (``?date=YYYY-MM-DD``, default unit-local today)."""

    permission_classes = [IsClinician]

    @extend_schema(responses={200: DoseDayOut})
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        raw = request.query_params.get("date")
        try:
            day = dt.date.fromisoformat(raw) if raw else admission.unit.local_now().date()
        except ValueError:
            raise ValidationError({"date": ["Use YYYY-MM-DD."]}) from None
        body = {
            "date": day,
            "time_zone": admission.unit.time_zone,
            "sedation": selectors.sedation_advice(admission),
            "rows": selectors.doses_for_day(admission, day),
        }
        return Response(DoseDayOut(body).data)


DOSE_IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.UUID,
    OpenApiParameter.HEADER,
    description="A UUID made once per entry; a retry with it returns the original record.",
)


def _idempotency_key(request: Request) -> uuid.UUID | None:
    raw = request.headers.get("Idempotency-Key")
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationError({"Idempotency-Key": ["Send a UUID, made once per entry."]}) from None


class DoseRecordView(APIView):
    """Record a scheduled dose as given, held (with reason) or refused."""

    permission_classes = [IsClinician]

    @extend_schema(
        request=DoseRecordIn, parameters=[DOSE_IDEMPOTENCY_HEADER], responses={201: DoseRecordOut}
    )
    def post(self, request: Request, dose_id: str) -> Response:
        """A retry with the same Idempotency-Key returns the original record (201, header
        Idempotent-Replayed: true); the same key for a different record is 422."""
        key = _idempotency_key(request)
        dose = selectors.scheduled_dose_for_user(request.user, dose_id)
        body = DoseRecordIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        occurred = None
        if data["occurred_at"]:
            occurred = parse_datetime(data["occurred_at"])
            if occurred is None or occurred.tzinfo is None:
                raise ValidationError({"occurred_at": ["Use an ISO time with its zone offset."]})
        advice = selectors.sedation_advice(dose.plan.admission)
        try:
            record = _call(
                dose_services.dose_record,
                scheduled_dose=dose,
                actor=request.user,
                outcome=data["outcome"],
                occurred_at=occurred,
                held_reason=data["held_reason"],
                reason_text=data["reason_text"],
                sedation_advice_shown=advice["hold"],
                idempotency_key=key,
                recorded_offline_at=data["recorded_offline_at"],
                client=Client.from_request(request),
            )
        except dose_services.IdempotencyMismatch as err:
            raise Unprocessable(str(err)) from None
        response = Response(DoseRecordOut(record).data, status=status.HTTP_201_CREATED)
        if getattr(record, "replayed", False):
            response["Idempotent-Replayed"] = "true"
        return response


class DoseInErrorView(APIView):
    """Mark a dose record entered in error, with a reason."""

    permission_classes = [IsClinician]

    @extend_schema(request=ReasonIn, responses={200: DoseInErrorOut})
    def post(self, request: Request, record_id: str) -> Response:
        record = selectors.administration_for_user(request.user, record_id)
        body = ReasonIn(data=request.data)
        body.is_valid(raise_exception=True)
        done = dose_services.dose_mark_in_error(
            administration=record,
            actor=request.user,
            reason=body.validated_data["reason"],
            client=Client.from_request(request),
        )
        return Response(DoseInErrorOut(done).data)
