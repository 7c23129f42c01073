from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.selectors import beds_with_occupancy, units_for_user


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(ObtainAuthToken):
    """Exchange username and password for an API token (`Authorization: Token <token>`)."""

    renderer_classes = ObtainAuthToken.renderer_classes
    parser_classes = [*ObtainAuthToken.parser_classes]

    @extend_schema(request=TokenRequestSerializer, responses=TokenResponseSerializer)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


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
