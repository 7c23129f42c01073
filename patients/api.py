"""API of patients and admissions under /api/v1/: thin views over selectors and services.

Clinicians only (admins get 403: they make no clinical entries and read census elsewhere).
Another unit's record is a 404. Every read and list leaves an audit event.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cnt_detox.core.audit import Client
from cnt_detox.core.permissions import IsClinician
from patients import services
from patients.models import Admission
from patients.selectors import (
    admission_detail_for_user,
    admissions_for_user,
    admissions_with_intake_for_user,
    beds_with_occupancy,
    patient_for_user,
    patients_for_user,
    unit_for_user,
    units_for_user,
)
from patients.serializers import (
    AdmissionCreateIn,
    AdmissionOut,
    AdmissionPatchIn,
    DischargeIn,
    PatientPatchIn,
    PatientWithAdmissionOut,
    TransferIn,
)


def _fresh(request: Request, admission: Admission) -> Admission:
    """Re-read after a write so the response shows exactly what was stored."""
    return admission_detail_for_user(request.user, admission.public_id)


class PatientViewSet(viewsets.GenericViewSet):
    """Patients with an admission in your units. New patients are registered by
    POST /api/v1/admissions/ (a patient always arrives with an admission)."""

    permission_classes = [IsClinician]
    serializer_class = PatientWithAdmissionOut
    lookup_field = "public_id"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> Any:
        return patients_for_user(self.request.user)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        services.list_view_audit(
            actor=request.user,
            object_type="patient",
            public_ids=[p.public_id for p in page],
            client=Client.from_request(request),
            via="api",
        )
        return self.get_paginated_response(PatientWithAdmissionOut(page, many=True).data)

    def retrieve(self, request: Request, id: str) -> Response:
        patient = patient_for_user(request.user, id)
        services.patient_view_audit(
            actor=request.user, patient=patient, client=Client.from_request(request)
        )
        return Response(PatientWithAdmissionOut(patient).data)

    @extend_schema(request=PatientPatchIn, responses=PatientWithAdmissionOut)
    def partial_update(self, request: Request, id: str) -> Response:
        """Correct name, date of birth or sex (through the current admission's intake edit,
        so the change is audited and age-based flags are recomputed)."""
        patient = patient_for_user(request.user, id)
        data = PatientPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        # The latest admission in the user's units (the open one if any) carries the edit.
        latest = (
            admissions_for_user(request.user)
            .filter(patient=patient)
            .order_by(F("discharged_at").asc(nulls_first=True), "-admitted_at")
        )
        admission = latest.first()
        services.admission_update_intake(
            actor=request.user,
            admission=admission,
            patient=data.validated_data,
            client=Client.from_request(request),
        )
        return Response(PatientWithAdmissionOut(patient_for_user(request.user, id)).data)


class AdmissionViewSet(viewsets.GenericViewSet):
    """Admissions in your units, with substance use, history and the computed intake."""

    permission_classes = [IsClinician]
    serializer_class = AdmissionOut
    lookup_field = "public_id"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> Any:
        qs = admissions_with_intake_for_user(self.request.user).order_by("-admitted_at", "id")
        unit = self.request.query_params.get("unit")
        if unit:
            qs = qs.filter(unit=unit_for_user(self.request.user, unit))
        state = self.request.query_params.get("status")
        if state in ("open", "discharged"):
            qs = qs.filter(status=state)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", str, description="Only this unit (id from /units/)."),
            OpenApiParameter("status", str, enum=["open", "discharged"]),
        ]
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        services.list_view_audit(
            actor=request.user,
            object_type="admission",
            public_ids=[a.public_id for a in page],
            client=Client.from_request(request),
            via="api",
            filters=dict(request.query_params.items()),
        )
        return self.get_paginated_response(AdmissionOut(page, many=True).data)

    @extend_schema(request=AdmissionCreateIn, responses={201: AdmissionOut})
    def create(self, request: Request) -> Response:
        data = AdmissionCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        admission = services.admission_create(
            actor=request.user,
            patient=v["patient"],
            unit_id=v["unit"],
            bed_id=v["bed"],
            admitted_at=v["admitted_at"],
            substances=v["substances"],
            history=v.get("history") or {},
            referral_notes=v.get("referral_notes", ""),
            client=Client.from_request(request),
        )
        return Response(AdmissionOut(_fresh(request, admission)).data, status=201)

    def retrieve(self, request: Request, id: str) -> Response:
        admission = admission_detail_for_user(request.user, id)
        services.admission_view_audit(
            actor=request.user, admission=admission, client=Client.from_request(request), via="api"
        )
        return Response(AdmissionOut(admission).data)

    @extend_schema(request=AdmissionPatchIn, responses=AdmissionOut)
    def partial_update(self, request: Request, id: str) -> Response:
        """Edit the intake; dose, band, risk, flags and setting are recomputed and audited."""
        admission = admission_detail_for_user(request.user, id)
        data = AdmissionPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.admission_update_intake(
            actor=request.user,
            admission=admission,
            patient=v.get("patient"),
            admitted_at=v.get("admitted_at"),
            substances=v.get("substances"),
            history=v.get("history"),
            referral_notes=v.get("referral_notes"),
            client=Client.from_request(request),
        )
        return Response(AdmissionOut(_fresh(request, admission)).data)

    @extend_schema(request=TransferIn, responses=AdmissionOut)
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, id: str) -> Response:
        """Move the patient to a free bed of this or another of your units."""
        admission = admission_detail_for_user(request.user, id)
        data = TransferIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.admission_transfer(
            actor=request.user,
            admission=admission,
            unit_id=data.validated_data["unit"],
            bed_id=data.validated_data["bed"],
            reason=data.validated_data["reason"],
            client=Client.from_request(request),
        )
        return Response(AdmissionOut(_fresh(request, admission)).data)

    @extend_schema(request=DischargeIn, responses=AdmissionOut)
    @action(detail=True, methods=["post"])
    def discharge(self, request: Request, id: str) -> Response:
        """Close the admission and free the bed; the record stays."""
        admission = admission_detail_for_user(request.user, id)
        data = DischargeIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.admission_discharge(
            actor=request.user,
            admission=admission,
            discharged_at=data.validated_data["discharged_at"],
            reason=data.validated_data["reason"],
            client=Client.from_request(request),
        )
        return Response(AdmissionOut(_fresh(request, admission)).data, status=status.HTTP_200_OK)


class BedOutSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    label = serializers.CharField()
    occupied = serializers.BooleanField()


class UnitOutSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    time_zone = serializers.CharField()
    beds = BedOutSerializer(many=True)


class UnitListView(APIView):
    """The user's units with their beds and whether each bed is occupied."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UnitOutSerializer(many=True))
    def get(self, request: Request) -> Response:
        units = list(units_for_user(request.user).order_by("name"))
        beds_by_unit: dict[int, list[Any]] = {u.pk: [] for u in units}
        for bed in beds_with_occupancy([u.pk for u in units]).order_by("label"):
            beds_by_unit[bed.unit_id].append(bed)
        data = [
            {
                "public_id": u.public_id,
                "name": u.name,
                "time_zone": u.time_zone,
                "beds": beds_by_unit[u.pk],
            }
            for u in units
        ]
        return Response(UnitOutSerializer(data, many=True).data)
