"""API: list my notifications, count the open ones (for the bell), acknowledge one."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cnt_detox.core.audit import Client
from cnt_detox.core.permissions import IsClinician
from notifications import selectors, services
from notifications.models import Notification
from notifications.wording import headline, notification_links


class NotificationOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    admission = serializers.UUIDField(source="admission.public_id", read_only=True)
    bed = serializers.CharField(source="admission.bed.label", read_only=True)
    escalation = serializers.SerializerMethodField()
    headline = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField(
        help_text=(
            "patient_url; assessment_url for an escalation; plan_url for a second-signature "
            "reminder."
        )
    )
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.display_name", read_only=True, default=None
    )

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "headline",
            "links",
            "admission",
            "bed",
            "escalation",
            "step",
            "due_at",
            "created_at",
            "delivered_at",
            "resolved_at",
            "acknowledged_at",
            "acknowledged_by",
        ]
        read_only_fields = fields

    def get_escalation(self, obj: Notification) -> str | None:
        return str(obj.escalation.public_id) if obj.escalation_id else None

    def get_headline(self, obj: Notification) -> str:
        return headline(obj)

    def get_links(self, obj: Notification) -> dict[str, str]:
        return notification_links(obj)


class NotificationListView(ListAPIView):
    """My notifications, newest due first. ``?open=1``: only unacknowledged and unresolved."""

    permission_classes = [IsClinician]
    serializer_class = NotificationOut

    def get_queryset(self) -> Any:
        if self.request.query_params.get("open") in ("1", "true"):
            return selectors.open_notifications_for_user(self.request.user)
        return selectors.notifications_for_user(self.request.user)


class NotificationCountView(APIView):
    permission_classes = [IsClinician]

    @extend_schema(
        responses=inline_serializer("NotificationCount", {"open": serializers.IntegerField()})
    )
    def get(self, request: Request) -> Response:
        return Response({"open": selectors.open_count_for_user(request.user)})


class NotificationAcknowledgeView(APIView):
    permission_classes = [IsClinician]

    @extend_schema(request=None, responses=NotificationOut)
    def post(self, request: Request, public_id: str) -> Response:
        notification = selectors.notification_for_user(request.user, public_id)
        notification = services.notification_acknowledge(
            notification=notification, actor=request.user, client=Client.from_request(request)
        )
        return Response(NotificationOut(notification).data)
