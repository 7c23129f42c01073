"""The CapabilityStatement: exactly what this server supports (HL7 FHIR R4 4.0.1)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from fhir_r4.bundle import STAY_TYPES
from fhir_r4.resources.common import FHIR_JSON, FHIR_NDJSON

EVERYTHING = "http://hl7.org/fhir/OperationDefinition/Encounter-everything"
PATIENT_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"
GROUP_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"


def capability_statement(base_url: str, date: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for kind in (*STAY_TYPES, "Questionnaire"):
        entry: dict[str, Any] = {"type": kind, "interaction": [{"code": "read"}]}
        if kind == "Encounter":
            entry["operation"] = [{"name": "everything", "definition": EVERYTHING}]
        if kind == "QuestionnaireResponse":
            entry["interaction"].append({"code": "create"})
            entry["conditionalCreate"] = True
            entry["documentation"] = (
                "Create accepts responses to our CIWA-B Questionnaire only, from nurses and "
                "physicians; idempotent on identifier or If-None-Exist: identifier=system|value."
            )
        if kind == "Patient":
            entry["operation"] = [{"name": "export", "definition": PATIENT_EXPORT}]
        resources.append(entry)
    resources.append(
        {"type": "Group", "operation": [{"name": "export", "definition": GROUP_EXPORT}]}
    )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": settings.FACILITY_NAME,
        "kind": "instance",
        "software": {"name": "CNT Detox"},
        "implementation": {
            "description": "CNT Detox FHIR R4 server (a detox stay, CIWA-B, taper plans)",
            "url": base_url,
        },
        "fhirVersion": "4.0.1",
        "format": [FHIR_JSON],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    f"Bulk export (admins): Patient/$export and Group/<unit id>/$export with "
                    f"Prefer: respond-async, _type, _since; files are {FHIR_NDJSON}."
                ),
                "security": {
                    "description": (
                        "Authorization: Token <token> (POST /api/v1/auth/token/) or a session. "
                        "Nurses and physicians read their units' stays; admins export."
                    )
                },
                "resource": resources,
            }
        ],
    }
