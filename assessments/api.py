"""CIWA-B API: create (idempotent), list per admission, retrieve, mark entered in error."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments import selectors, services
from assessments.inputs import OBSERVATIONS
from assessments.limits import VITAL_FIELDS
from assessments.serializers import AssessmentIn, AssessmentOut, EnteredInErrorIn
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.errors import Unprocessable
from cnt_detox.core.permissions import IsClinician

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.UUID,
    OpenApiParameter.HEADER,
    description="A UUID made when the form opens; a retry with it returns the original.",
)


def _idempotency_key(request: Request) -> uuid.UUID | None:
    raw = request.headers.get("Idempotency-Key")
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationError({"Idempotency-Key": ["Send a UUID, made once per form."]}) from None


def _nested_field_names(exc: DjangoValidationError) -> DjangoValidationError:
    """Service errors use flat names; the API body nests vitals and observations."""
    renamed: dict[str, Any] = {}
    for name, errors in exc.error_dict.items():
        if name in VITAL_FIELDS:
            name = f"vitals.{name}"
        elif name in OBSERVATIONS:
            name = f"observations.{name}"
        renamed[name] = errors
    return DjangoValidationError(renamed)


class AssessmentCreateView(APIView):
    permission_classes = [IsClinician]

    @extend_schema(request=AssessmentIn, parameters=[IDEMPOTENCY_HEADER], responses={201: dict})
    def post(self, request: Request) -> Response:
        """Record a CIWA-B: 20 item scores (item 1 first) or unable_to_assess with a reason.

        Returns total, band, flags and next_due_at. A retry with the same Idempotency-Key
        returns the original (201, same body); the same key with a different body is 422.
        """
        key = _idempotency_key(request)
        incoming = AssessmentIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        admission = selectors.admission_for_save(request.user, incoming.validated_data["admission"])
        try:
            result = services.assessment_create(
                admission=admission,
                actor=request.user,
                entry=incoming.to_entry(),
                idempotency_key=key,
                client=Client.from_request(request),
            )
        except services.IdempotencyMismatch as exc:
            raise Unprocessable(str(exc)) from None
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise _nested_field_names(exc) from None
            raise
        response = Response(AssessmentOut(result.assessment).data, status=status.HTTP_201_CREATED)
        if not result.created:
            response["Idempotent-Replayed"] = "true"
        return response


class AdmissionAssessmentListView(GenericAPIView):
    """Assessments of one admission, newest first, entered-in-error ones included."""

    permission_classes = [IsClinician]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, admission_id: uuid.UUID) -> Response:
        admission = selectors.admission_for_assessment(request.user, admission_id)
        queryset = selectors.assessments_for_admission(admission).order_by("-assessed_at", "-id")
        page = self.paginate_queryset(queryset)
        services.assessment_viewed(
            actor=request.user,
            admission=admission,
            action=AuditAction.ASSESSMENT_LISTED,
            client=Client.from_request(request),
        )
        for assessment in page:
            assessment.admission = admission  # already loaded; avoid one query per row
        return self.get_paginated_response([AssessmentOut(a).data for a in page])


class AssessmentDetailView(APIView):
    permission_classes = [IsClinician]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        assessment = selectors.assessment_for_user(request.user, public_id)
        services.assessment_viewed(
            actor=request.user,
            admission=assessment.admission,
            action=AuditAction.ASSESSMENT_VIEWED,
            obj=assessment,
            client=Client.from_request(request),
        )
        return Response(AssessmentOut(assessment).data)


class AssessmentEnteredInErrorView(APIView):
    permission_classes = [IsClinician]

    @extend_schema(request=EnteredInErrorIn, responses={200: dict})
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Mark an assessment entered in error, with a reason. It stays on record."""
        assessment = selectors.assessment_for_user(request.user, public_id)
        incoming = EnteredInErrorIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.assessment_mark_entered_in_error(
            assessment=assessment,
            actor=request.user,
            reason=incoming.validated_data["reason"],
            client=Client.from_request(request),
        )
        return Response(AssessmentOut(assessment).data)
