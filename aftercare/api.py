"""Discharge and aftercare API: the same services as the pages; the summary also as JSON.

Errors use the project's format (cnt_detox.core.errors): field errors 400, another unit 404,
wrong role 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aftercare import pdf, selectors, services
from aftercare.models import AftercarePlan, DischargeSummary, FollowUpAppointment
from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.permissions import IsClinician, IsPhysician
from patients.selectors import admission_for_user


def _when(value: Any, field: str) -> Any:
    if value in (None, ""):
        return None
    try:
        parsed = parse_datetime(str(value))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError({field: ["Give an ISO 8601 date-time with its offset."]})
    return parsed


def _body(request: Request) -> dict[str, Any]:
    """The JSON object sent; anything else is a 400, never a 500."""
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    return request.data


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if value is not None and not isinstance(value, str | int | float):
        raise ValidationError({name: ["Give text."]})
    return "" if value is None else str(value)


def aftercare_data(plan: AftercarePlan) -> dict[str, Any]:
    return {
        "id": str(plan.public_id),
        "version": plan.version,
        "current": plan.is_current,
        "supersedes": str(plan.supersedes.public_id) if plan.supersedes_id else None,
        "change_reason": plan.change_reason,
        "level_of_care": plan.level_of_care,
        "level_reason": plan.level_reason,
        "referrals": plan.referrals,
        "support_groups": plan.support_groups,
        "other_support": plan.other_support,
        "triggers": plan.triggers,
        "warning_signs": plan.warning_signs,
        "coping_strategies": plan.coping_strategies,
        "people_to_call": plan.people_to_call,
        "family_involvement": plan.family_involvement,
        "consent_to_share": plan.consent_to_share,
        "consent_details": plan.consent_details,
        "created_by": plan.created_by.display_name,
        "created_at": plan.created_at.isoformat(),
    }


def follow_up_data(f: FollowUpAppointment) -> dict[str, Any]:
    return {
        "id": str(f.public_id),
        "admission": str(f.admission.public_id),
        "scheduled_at": f.scheduled_at.isoformat(),
        "with_whom": f.with_whom,
        "mode": f.mode,
        "location": f.location,
        "notes": f.notes,
        "status": f.status,
        "outcome_note": f.outcome_note,
        "adherence": f.adherence,
        "ciwa_b_total": f.ciwa_b_total,
        "outcome_recorded_at": f.outcome_recorded_at.isoformat() if f.outcome_recorded_at else None,
    }


def summary_data(row: DischargeSummary) -> dict[str, Any]:
    return {
        "id": str(row.public_id),
        "admission": str(row.admission.public_id),
        "version": row.version,
        "status": row.status,
        "supersedes": str(row.supersedes.public_id) if row.supersedes_id else None,
        "amendment_reason": row.amendment_reason,
        "content_version": row.content_version,
        "content": row.content,
        "signature": {
            "printed_name": row.printed_name,
            "role": row.role,
            "signed_at": row.signed_at.isoformat(),
            "meaning": row.meaning,
            "digest": row.digest,
            "second_factor": row.second_factor,
        },
    }


class DischargeRequest(serializers.Serializer):
    discharged_at = serializers.DateTimeField()
    reason = serializers.CharField()
    override_category = serializers.CharField(required=False, allow_blank=True)
    override_reason = serializers.CharField(required=False, allow_blank=True)
    acknowledge_warnings = serializers.BooleanField(required=False)


class ReadinessView(APIView):
    """GET the open items before discharge; POST discharges through them (same service)."""

    permission_classes = [IsClinician]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        audit.record(
            actor=request.user,
            action=AuditAction.DISCHARGE_READINESS_VIEWED,
            obj=admission,
            patient=admission.patient,
            client=Client.from_request(request),
        )
        items = selectors.readiness_for(admission) if admission.is_open else []
        return Response(
            {
                "admission": str(admission.public_id),
                "open": admission.is_open,
                "ready": not any(i["level"] == "block" for i in items),
                "items": items,
            }
        )

    @extend_schema(request=DischargeRequest, responses={201: dict})
    def post(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        data = _body(request)
        record = services.discharge(
            actor=request.user,
            admission=admission,
            discharged_at=_when(data.get("discharged_at"), "discharged_at"),
            reason=_text(data, "reason"),
            override_category=_text(data, "override_category"),
            override_reason=_text(data, "override_reason"),
            acknowledge_warnings=data.get("acknowledge_warnings") is True,
            client=Client.from_request(request),
        )
        return Response(
            {
                "admission": str(admission.public_id),
                "discharged_at": record.admission.discharged_at.isoformat(),
                "open_items": record.readiness,
                "override_category": record.override_category,
                "override_reason": record.override_reason,
            },
            status=status.HTTP_201_CREATED,
        )


class AftercarePlansView(APIView):
    """GET every version (newest first); POST a new version (``expected_version`` optional)."""

    permission_classes = [IsClinician]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        audit.record(
            actor=request.user,
            action=AuditAction.AFTERCARE_PLAN_VIEWED,
            obj=admission,
            patient=admission.patient,
            client=Client.from_request(request),
            details={"via": "api"},
        )
        return Response([aftercare_data(p) for p in selectors.aftercare_versions(admission)])

    @extend_schema(request=dict, responses={201: dict})
    def post(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        data = _body(request)
        expected = data.get("expected_version")
        if expected is not None and not str(expected).isdigit():
            raise ValidationError({"expected_version": ["Give the version number you edited."]})
        plan = services.aftercare_plan_save(
            actor=request.user,
            admission=admission,
            data=data,
            change_reason=_text(data, "change_reason"),
            expected_version=int(expected) if expected is not None else None,
            client=Client.from_request(request),
        )
        return Response(aftercare_data(plan), status=status.HTTP_201_CREATED)


class FollowUpsView(APIView):
    permission_classes = [IsClinician]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        rows = selectors.follow_ups(admission)
        audit.record(
            actor=request.user,
            action=AuditAction.FOLLOW_UP_LISTED,
            obj=admission,
            patient=admission.patient,
            client=Client.from_request(request),
            details={"via": "api", "shown": [str(f.public_id) for f in rows]},
        )
        return Response([follow_up_data(f) for f in rows])

    @extend_schema(request=dict, responses={201: dict})
    def post(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        data = _body(request)
        follow_up = services.follow_up_create(
            actor=request.user,
            admission=admission,
            scheduled_at=_when(data.get("scheduled_at"), "scheduled_at"),
            with_whom=_text(data, "with_whom"),
            mode=_text(data, "mode"),
            location=_text(data, "location"),
            notes=_text(data, "notes"),
            client=Client.from_request(request),
        )
        return Response(follow_up_data(follow_up), status=status.HTTP_201_CREATED)


class FollowUpOutcomeView(APIView):
    permission_classes = [IsClinician]

    @extend_schema(request=dict, responses={200: dict})
    def post(self, request: Request, follow_up_id: str) -> Response:
        follow_up = selectors.follow_up_for_user(request.user, follow_up_id)
        data = _body(request)
        total = data.get("ciwa_b_total")
        if total not in (None, "") and not str(total).isdigit():
            raise ValidationError({"ciwa_b_total": ["A CIWA-B total is a whole number 0-80."]})
        follow_up = services.follow_up_record(
            actor=request.user,
            follow_up=follow_up,
            status=_text(data, "status"),
            note=_text(data, "note"),
            adherence=_text(data, "adherence"),
            ciwa_b_total=int(total) if total not in (None, "") else None,
            client=Client.from_request(request),
        )
        return Response(follow_up_data(follow_up))


class SummariesView(APIView):
    """GET every signed version (JSON, newest first); POST signs a new version (physicians)."""

    def get_permissions(self) -> list[Any]:
        return [IsPhysician()] if self.request.method == "POST" else [IsClinician()]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        rows = selectors.summary_versions(admission)
        for row in rows:
            services.summary_access_audit(
                actor=request.user,
                summary_row=row,
                how="read_as_json",
                client=Client.from_request(request),
            )
        return Response([summary_data(r) for r in rows])

    @extend_schema(request=dict, responses={201: dict})
    def post(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        data = _body(request)
        row = services.summary_sign(
            actor=request.user,
            admission=admission,
            password=_text(data, "password"),
            otp_code=_text(data, "otp_code") or None,
            other_medicines=_text(data, "other_medicines"),
            notes=_text(data, "notes"),
            amendment_reason=_text(data, "amendment_reason"),
            client=Client.from_request(request),
        )
        return Response(summary_data(row), status=status.HTTP_201_CREATED)


class SummaryView(APIView):
    """One signed version as JSON, or ``?format=pdf`` ... see SummaryPdfView."""

    permission_classes = [IsClinician]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, summary_id: str) -> Response:
        row = selectors.summary_for_user(request.user, summary_id)
        services.summary_access_audit(
            actor=request.user,
            summary_row=row,
            how="read_as_json",
            client=Client.from_request(request),
        )
        return Response(summary_data(row))


class SummaryPdfView(APIView):
    permission_classes = [IsClinician]

    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request: Request, summary_id: str) -> HttpResponse:
        row = selectors.summary_for_user(request.user, summary_id)
        services.summary_access_audit(
            actor=request.user,
            summary_row=row,
            how="downloaded",
            client=Client.from_request(request),
        )
        response = HttpResponse(pdf.summary_pdf(row), content_type="application/pdf")
        name = f"discharge-summary-{row.admission.patient.mrn}-v{row.version}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class PatientLinksView(APIView):
    """POST: a new expiring link to the patient's copy; the URL is in this answer only."""

    permission_classes = [IsClinician]

    @extend_schema(request=None, responses={201: dict})
    def post(self, request: Request, admission_id: str) -> Response:
        admission = admission_for_user(request.user, admission_id)
        link, token = services.patient_link_create(
            actor=request.user, admission=admission, client=Client.from_request(request)
        )
        url = request.build_absolute_uri(
            reverse("aftercare-public:public_copy", kwargs={"token": token})
        )
        return Response(
            {"id": str(link.public_id), "url": url, "expires_at": link.expires_at.isoformat()},
            status=status.HTTP_201_CREATED,
        )
