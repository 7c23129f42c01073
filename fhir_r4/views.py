"""FHIR REST endpoints: metadata, reads by id, Encounter/$everything, receiving a CIWA-B.

Thin: check the role, resolve through a selector (other unit: 404), build, audit, answer.
Admins get 403 on clinical reads (they export instead; architecture.md roles).
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from assessments.selectors import admission_for_assessment
from assessments.services import IdempotencyMismatch
from cnt_detox.core.audit import Client
from fhir_r4 import read as reader
from fhir_r4 import receive, selectors, services
from fhir_r4.bundle import everything_bundle, stay_resources
from fhir_r4.capability import capability_statement
from fhir_r4.http import FhirError, FhirView, fail, outcome_of_issues
from fhir_r4.receive import FIELD_PATHS, Rejected
from fhir_r4.resources.common import instant
from fhir_r4.resources.questionnaire import QUESTIONNAIRE_ID, questionnaire


def base_url(request: Request) -> str:
    metadata = reverse("fhir:metadata")
    return request.build_absolute_uri(metadata[: -len("metadata")])


class MetadataView(FhirView):
    """CapabilityStatement; public, as FHIR clients read it before they log in."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        base = base_url(request).rstrip("/")
        return Response(capability_statement(base, instant(timezone.now()) or ""))


class QuestionnaireView(FhirView):
    """Our CIWA-B Questionnaire at its canonical id: no patient data, any signed-in user."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request, resource_id: str) -> Response:
        if resource_id != QUESTIONNAIRE_ID:
            fail(
                404, f"No Questionnaire {resource_id!r}; ours is {QUESTIONNAIRE_ID!r}.", "not-found"
            )
        return Response(questionnaire())


class ReadView(FhirView):
    def get(self, request: Request, resource_type: str, resource_id: str) -> Response:
        if resource_type not in reader.READABLE_TYPES:
            fail(404, f"Resource type {resource_type!r} is not supported here.", "not-supported")
        found = reader.read(request.user, resource_type, resource_id)
        if found.patient is not None:
            services.read_audit(
                actor=request.user,
                resource_type=resource_type,
                resource_id=resource_id,
                patient=found.patient,
                client=Client.from_request(request),
            )
        return Response(found.resource)


class EverythingView(FhirView):
    def get(self, request: Request, resource_id: str) -> Response:
        stay = selectors.stay_for_user(request.user, resource_id)
        base = base_url(request)
        bundle = everything_bundle(stay, lambda kind, rid: f"{base}{kind}/{rid}")
        services.everything_audit(
            actor=request.user,
            admission=stay.admission,
            resources=bundle["total"],
            client=Client.from_request(request),
        )
        return Response(bundle)


class QuestionnaireResponseCreateView(FhirView):
    """POST a response to our CIWA-B Questionnaire: saved by the bedside service."""

    def post(self, request: Request) -> Response:
        try:
            received = receive.parse(request.data)
            header = request.headers.get("If-None-Exist")
            identifier = receive.identifier_from_header(header) if header else received.identifier
        except Rejected as exc:
            raise_unprocessable(exc.issues)
        if identifier is not None and identifier.is_ours:
            # One of our own responses sent back: it is already here, never a second copy.
            return self._existing(request, identifier.value)
        try:
            admission = admission_for_assessment(request.user, received.encounter_id)
        except (Http404, ValidationError):  # not in your units, or a malformed id
            raise_unprocessable(
                [
                    receive.issue(
                        f"Encounter/{received.encounter_id} is not a stay in your units.",
                        "encounter",
                        "not-found",
                    )
                ]
            )
        if received.subject_id and received.subject_id != str(admission.patient.public_id):
            raise_unprocessable(
                [receive.issue("subject is not the patient of that encounter.", "subject")]
            )
        try:
            result = services.response_receive(
                admission=admission,
                actor=request.user,
                received=received,
                identifier=identifier,
                client=Client.from_request(request),
            )
        except IdempotencyMismatch as exc:
            raise_unprocessable([receive.issue(str(exc), "identifier", "duplicate")])
        except ValidationError as exc:
            raise_unprocessable(_service_issues(exc))
        return self._answer(request, result.assessment, created=result.created)

    def _existing(self, request: Request, value: str) -> Response:
        try:
            found = selectors.owning_admission(
                request.user, "QuestionnaireResponse", uuid.UUID(value), admission_level=False
            )
        except (Http404, ValueError):
            raise_unprocessable(
                [
                    receive.issue(
                        "identifier names a response this server does not hold.", "identifier"
                    )
                ]
            )
        [stay] = selectors.load_stays([found])
        assessment = next(a for a in stay.assessments if str(a.public_id) == value.lower())
        return self._answer(request, assessment, created=False, stay=stay)

    def _answer(
        self, request: Request, assessment: Any, *, created: bool, stay: Any = None
    ) -> Response:
        stay = stay or selectors.load_stays([assessment.admission])[0]
        resource = next(
            r
            for r in stay_resources(
                stay, types=frozenset({"QuestionnaireResponse"}), include_patient=False
            )
            if r["id"] == str(assessment.public_id)
        )
        response = Response(resource, status=201 if created else 200)
        response["Location"] = f"{base_url(request)}QuestionnaireResponse/{resource['id']}"
        return response


def raise_unprocessable(issues: list[dict[str, Any]]) -> NoReturn:
    raise FhirError(422, outcome_of_issues(issues))


def _service_issues(exc: ValidationError) -> list[dict[str, Any]]:
    issues = []
    for name, messages in exc.message_dict.items():
        path = FIELD_PATHS.get(name, name)
        for message in messages:
            issues.append(receive.issue(f"{name}: {message}", path))
    return issues
