"""Read one resource by type and id: find the admission it belongs to (access rules apply),
load that stay and pick the resource out of the same builder the Bundle uses, so a read by id
always equals the Bundle's copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404

from fhir_r4 import ids
from fhir_r4.bundle import STAY_TYPES, stay_resources
from fhir_r4.resources import patient as rp
from fhir_r4.resources.questionnaire import QUESTIONNAIRE_ID, questionnaire
from fhir_r4.selectors import load_stays, owning_admission
from patients.selectors import patient_for_user

READABLE_TYPES = (*STAY_TYPES, "Questionnaire")
# Which suffixes each type's ids may carry ("" = the record's own id).
_SUFFIXES: dict[str, set[str]] = {
    "Encounter": {""},
    "MedicationStatement": {""},
    "QuestionnaireResponse": {""},
    "MedicationRequest": {""},
    "Provenance": {""},
    "MedicationAdministration": {""},
    "Condition": set(ids.HISTORY_CONDITIONS),
    "Observation": set(ids.ASSESSMENT_OBSERVATIONS) | set(ids.HISTORY_OBSERVATIONS),
}


@dataclass(frozen=True)
class Found:
    resource: dict[str, Any]
    patient: Any  # the Patient model, for the audit event; None for the Questionnaire


def _admission_level(resource_type: str, suffix: str) -> bool:
    if resource_type in ("Encounter", "Condition"):
        return True
    if resource_type == "Observation":
        return suffix in ids.HISTORY_OBSERVATIONS
    return resource_type == "Flag"


def read(user: Any, resource_type: str, resource_id: str) -> Found:
    if resource_type == "Questionnaire":
        if resource_id != QUESTIONNAIRE_ID:
            raise Http404("No such Questionnaire.")
        return Found(questionnaire(), None)
    parsed = ids.parse(resource_id)
    if parsed is None:
        raise Http404("No such resource.")
    if resource_type == "Patient":
        if parsed.suffix:
            raise Http404("No such resource.")
        patient = patient_for_user(user, parsed.public_id)
        return Found(rp.patient(patient), patient)
    allowed = _SUFFIXES.get(resource_type)
    if resource_type == "Flag":
        if ids.flag_index(parsed.suffix) is None:
            raise Http404("No such resource.")
    elif allowed is None or parsed.suffix not in allowed:
        raise Http404("No such resource.")
    admission = owning_admission(
        user,
        resource_type,
        parsed.public_id,
        admission_level=_admission_level(resource_type, parsed.suffix),
    )
    [stay] = load_stays([admission])
    wanted = resource_id.lower()
    for resource in stay_resources(stay, types=frozenset({resource_type}), include_patient=False):
        if resource["resourceType"] == resource_type and resource["id"] == wanted:
            return Found(resource, admission.patient)
    raise Http404("No such resource.")
