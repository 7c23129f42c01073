"""Shared pieces of the FHIR resources: our URIs, references, quantities, times.

Source: /work/shared/domain/fhir.md. Identifier systems and local code systems are the
facility's own URIs (``settings.FHIR_BASE_URI``, ``FHIR_MRN_SYSTEM``): fhir.md says no codes
are invented, so anything without a standard code is text plus a local code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PROVENANCE_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
# ASTM E1762 signature types (fhir.md: 1.2.840.10065.1.12.1.1, author's signature).
SIGNATURE_TYPE_SYSTEM = "urn:iso-astm:E1762-95:2013"
AUTHOR_SIGNATURE = "1.2.840.10065.1.12.1.1"

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"


def base() -> str:
    return str(settings.FHIR_BASE_URI)


def code_system(name: str) -> str:
    """A local code system of the facility, e.g. ``.../CodeSystem/ciwa-b``."""
    return f"{base()}/CodeSystem/{name}"


def identifier_system(name: str) -> str:
    return f"{base()}/sid/{name}"


def extension_url(name: str) -> str:
    return f"{base()}/StructureDefinition/{name}"


def questionnaire_url() -> str:
    """Canonical URL of our CIWA-B Questionnaire (fhir.md: "canonical URL is ours")."""
    return f"{base()}/Questionnaire/ciwa-b"


def ref(resource_type: str, resource_id: Any, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


def staff_ref(user: Any) -> dict[str, Any] | None:
    """A logical reference to a member of staff (no Practitioner resource is served)."""
    if user is None:
        return None
    return {
        "type": "Practitioner",
        "identifier": {"system": identifier_system("staff"), "value": str(user.public_id)},
        "display": user.display_name,
    }


def instant(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    # Full precision (FHIR allows fractions): a round trip must give back the same moment.
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def number(value: Decimal | int | float) -> int | float:
    """JSON number of a Decimal: whole values as integers (10 mg, not 10.0)."""
    as_decimal = Decimal(str(value))
    return int(as_decimal) if as_decimal == as_decimal.to_integral_value() else float(as_decimal)


def quantity(value: Decimal | int, unit: str, code: str | None = None) -> dict[str, Any]:
    return {"value": number(value), "unit": unit, "system": UCUM, "code": code or unit}


def mg(value: Decimal | int | str) -> dict[str, Any]:
    return quantity(Decimal(str(value)), "mg")


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def local_concept(system_name: str, code: str, text: str) -> dict[str, Any]:
    return {"coding": [coding(code_system(system_name), code, text)], "text": text}


def prune(value: Any) -> Any:
    """Drop None, "", empty lists and empty dicts: FHIR forbids empty elements.

    One pass, no copies of leaves: it runs over every resource of a bulk export.
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, dict | list):
                item = prune(item)
                if not item:
                    continue
            elif item is None or item == "":
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        kept: list[Any] = []
        for item in value:
            if isinstance(item, dict | list):
                item = prune(item)
                if not item:
                    continue
            elif item is None or item == "":
                continue
            kept.append(item)
        return kept
    return value


def medication_concept(agent: str, text: str) -> dict[str, Any]:
    """Medicine as text (fhir.md: no RxNorm or SNOMED code invented), plus the facility's own
    coding when ``FHIR_MEDICATION_CODES`` maps the agent."""
    concept: dict[str, Any] = {"text": text}
    mapped = settings.FHIR_MEDICATION_CODES.get(agent)
    if isinstance(mapped, dict) and mapped.get("system") and mapped.get("code"):
        concept["coding"] = [
            coding(str(mapped["system"]), str(mapped["code"]), mapped.get("display"))
        ]
    return concept
