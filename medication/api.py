"""Medication API (issue 15): orders, their doses and the day's dose record.

Thin: input serializers parse, a selector resolves with the access rules, one service writes,
output serializers give the response its documented shape. Service refusals are field errors
(400) in the project's error format; a gate refusal names the gate under ``gate``.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cnt_detox.core.audit import Client
from cnt_detox.core.permissions import IsClinician, IsPhysician
from medication import selectors, services
from medication.models import DoseOutcome, MedicationDose, MedicationOrder, OrderKind
from medication.selectors import formulary
from patients.selectors import admission_for_user


class OrderInSerializer(serializers.Serializer):
    item = serializers.SlugRelatedField(slug_field="name", queryset=formulary())
    kind = serializers.ChoiceField(OrderKind.choices)
    dose_mg = serializers.DecimalField(max_digits=7, decimal_places=2)
    route = serializers.CharField(max_length=20, default="oral")
    times = serializers.ListField(child=serializers.CharField(max_length=5), default=list)
    indication = serializers.CharField(max_length=200, required=False, allow_blank=True)
    min_interval_minutes = serializers.IntegerField(required=False, allow_null=True)
    max_mg_24h = serializers.DecimalField(
        max_digits=7, decimal_places=2, required=False, allow_null=True
    )
    ciwa_within_minutes = serializers.IntegerField(required=False, allow_null=True)
    starts_at = serializers.DateTimeField(required=False)
    stops_at = serializers.DateTimeField(required=False, allow_null=True)
    password = serializers.CharField(write_only=True)
    otp_code = serializers.CharField(required=False, allow_blank=True, write_only=True)
    change_reason = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = formulary()


class OrderOutSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    admission = serializers.UUIDField(source="admission.public_id")
    medicine = serializers.CharField(source="item.name")
    agent = serializers.CharField(source="item.agent")
    is_benzodiazepine = serializers.BooleanField(source="item.is_benzodiazepine")
    sedating = serializers.BooleanField(source="item.sedating")
    kind = serializers.CharField()
    dose_mg = serializers.DecimalField(max_digits=7, decimal_places=2)
    route = serializers.CharField()
    times = serializers.ListField(child=serializers.CharField())
    indication = serializers.CharField()
    min_interval_minutes = serializers.IntegerField(allow_null=True)
    max_mg_24h = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    ciwa_within_minutes = serializers.IntegerField(allow_null=True)
    starts_at = serializers.DateTimeField()
    stops_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    supersedes = serializers.UUIDField(source="supersedes.public_id", allow_null=True)
    status = serializers.CharField()
    status_reason = serializers.CharField()
    signed_by = serializers.CharField(source="printed_name")
    signed_at = serializers.DateTimeField()
    digest = serializers.CharField()


class DoseInSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(DoseOutcome.choices, default=DoseOutcome.GIVEN)
    occurred_at = serializers.DateTimeField(required=False)
    due_at = serializers.DateTimeField(required=False)
    reason_text = serializers.CharField(required=False, allow_blank=True, max_length=500)
    override_reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class DoseOutSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    order = serializers.UUIDField(source="order.public_id")
    medicine = serializers.CharField(source="order.item.name")
    outcome = serializers.CharField()
    mg = serializers.DecimalField(max_digits=7, decimal_places=2)
    diazepam_mg = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    total_24h_diazepam_mg = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True
    )
    due_at = serializers.DateTimeField(allow_null=True)
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    override_reason = serializers.CharField()
    status = serializers.CharField()


class MedicationReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class RecordLineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    source = serializers.CharField()
    medicine = serializers.CharField()
    mg = serializers.DecimalField(max_digits=7, decimal_places=2)
    state = serializers.CharField()
    outcome = serializers.CharField()
    diazepam_mg = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    total_24h_mg = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    sedating = serializers.BooleanField()


class DayRecordSerializer(serializers.Serializer):
    lines = RecordLineSerializer(many=True)
    total_24h_now = serializers.DecimalField(max_digits=8, decimal_places=2)


def _order_input(data: dict[str, Any]) -> services.OrderInput:
    return services.OrderInput(
        item=data["item"],
        kind=data["kind"],
        dose_mg=data["dose_mg"],
        route=data.get("route", "oral"),
        times=tuple(data.get("times") or ()),
        indication=data.get("indication", ""),
        min_interval_minutes=data.get("min_interval_minutes"),
        max_mg_24h=data.get("max_mg_24h"),
        ciwa_within_minutes=data.get("ciwa_within_minutes"),
        starts_at=data.get("starts_at"),
        stops_at=data.get("stops_at"),
    )


class AdmissionOrdersView(APIView):
    def get_permissions(self) -> list[Any]:
        return [IsPhysician()] if self.request.method == "POST" else [IsClinician()]

    @extend_schema(responses=OrderOutSerializer(many=True))
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        orders = selectors.orders_for_user(request.user).filter(admission=admission)
        return Response(OrderOutSerializer(orders.select_related("supersedes"), many=True).data)

    @extend_schema(request=OrderInSerializer, responses={201: OrderOutSerializer})
    def post(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        body = OrderInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = services.order_place(
            actor=request.user,
            admission=admission,
            data=_order_input(body.validated_data),
            password=body.validated_data["password"],
            otp_code=body.validated_data.get("otp_code") or None,
            client=Client.from_request(request),
        )
        return Response(OrderOutSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderVersionView(APIView):
    permission_classes = [IsPhysician]

    @extend_schema(request=OrderInSerializer, responses={201: OrderOutSerializer})
    def post(self, request: Request, order_id: str) -> Response:
        previous = selectors.order_for_user(request.user, order_id)
        body = OrderInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = services.order_place(
            actor=request.user,
            admission=previous.admission,
            data=_order_input(body.validated_data),
            password=body.validated_data["password"],
            otp_code=body.validated_data.get("otp_code") or None,
            supersedes=previous,
            change_reason=body.validated_data.get("change_reason", ""),
            client=Client.from_request(request),
        )
        return Response(OrderOutSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderDiscontinueView(APIView):
    permission_classes = [IsPhysician]

    @extend_schema(request=MedicationReasonSerializer, responses=OrderOutSerializer)
    def post(self, request: Request, order_id: str) -> Response:
        order = selectors.order_for_user(request.user, order_id)
        body = MedicationReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = services.order_discontinue(
            actor=request.user,
            order=order,
            reason=body.validated_data["reason"],
            client=Client.from_request(request),
        )
        return Response(OrderOutSerializer(order).data)


class OrderDosesView(APIView):
    permission_classes = [IsClinician]

    @extend_schema(request=DoseInSerializer, responses={201: DoseOutSerializer})
    def post(self, request: Request, order_id: str) -> Response:
        order: MedicationOrder = selectors.order_for_user(request.user, order_id)
        body = DoseInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        dose: MedicationDose = services.dose_record(
            actor=request.user,
            order=order,
            outcome=data["outcome"],
            occurred_at=data.get("occurred_at"),
            due_at=data.get("due_at"),
            reason_text=data.get("reason_text", ""),
            override_reason=data.get("override_reason", ""),
            client=Client.from_request(request),
        )
        return Response(DoseOutSerializer(dose).data, status=status.HTTP_201_CREATED)


class DoseInErrorView(APIView):
    permission_classes = [IsClinician]

    @extend_schema(request=MedicationReasonSerializer, responses=DoseOutSerializer)
    def post(self, request: Request, dose_id: str) -> Response:
        dose = selectors.dose_for_user(request.user, dose_id)
        body = MedicationReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dose = services.dose_mark_in_error(
            actor=request.user,
            dose=dose,
            reason=body.validated_data["reason"],
            client=Client.from_request(request),
        )
        return Response(DoseOutSerializer(dose).data)


class DayRecordView(APIView):
    permission_classes = [IsClinician]

    @extend_schema(responses=DayRecordSerializer)
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        now = timezone.now()
        record = selectors.day_record(admission, admission.unit.local_now(now).date(), now)
        return Response(DayRecordSerializer(record).data)
