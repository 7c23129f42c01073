"""All resources of a stay, in one place for ``$everything`` and the bulk export.

``stay_resources`` walks a loaded ``Stay`` and yields each resource (no queries); ``want``
limits the types built (bulk export ``_type``) and ``since`` keeps only records created or
changed at or after that instant (bulk export ``_since``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from fhir_r4.resources import assessment as ra
from fhir_r4.resources import patient as rp
from fhir_r4.resources import tapering as rt
from fhir_r4.resources.questionnaire import questionnaire
from fhir_r4.selectors import Stay

# What a stay can hold (Questionnaire is served once, not per patient).
STAY_TYPES = (
    "Patient",
    "Encounter",
    "MedicationStatement",
    "Condition",
    "Observation",
    "QuestionnaireResponse",
    "Flag",
    "MedicationRequest",
    "Provenance",
    "MedicationAdministration",
)


def _after(since: dt.datetime | None, *moments: dt.datetime | None) -> bool:
    return since is None or any(m is not None and m >= since for m in moments)


def next_valid_times(assessments: list[Any]) -> dict[int, dt.datetime | None]:
    """For each assessment (in time order), when the next valid one was made: its flags end."""
    out: dict[int, dt.datetime | None] = {}
    following: dt.datetime | None = None
    for a in reversed(assessments):
        out[a.pk] = following
        if a.is_valid:
            following = a.assessed_at
    return out


def latest_valid_pk(assessments: list[Any]) -> int | None:
    valid = [a for a in assessments if a.is_valid]
    return valid[-1].pk if valid else None


def assessment_resources(
    stay: Stay, a: Any, next_at: dt.datetime | None, latest_pk: int | None, want: Callable
) -> Iterator[dict[str, Any]]:
    admission = stay.admission
    if want("QuestionnaireResponse"):
        yield ra.questionnaire_response(admission, a, stay.received.get(a.pk))
    if want("Observation"):
        yield ra.total_observation(admission, a)
        yield from ra.vital_observations(admission, a)
    if want("Flag"):
        yield from ra.assessment_flags(admission, a, next_at, a.pk == latest_pk)


def stay_resources(
    stay: Stay,
    *,
    types: frozenset[str] | None = None,
    since: dt.datetime | None = None,
    include_patient: bool = True,
) -> Iterator[dict[str, Any]]:
    def want(kind: str) -> bool:
        return types is None or kind in types

    admission = stay.admission
    intake_changed = _after(since, admission.updated_at, admission.created_at)
    patient_changed = intake_changed or _after(since, admission.patient.created_at)
    if include_patient and want("Patient") and patient_changed:
        yield rp.patient(admission.patient)
    if intake_changed:
        if want("Encounter"):
            yield rp.encounter(admission, stay.movements)
        if want("MedicationStatement"):
            for s in stay.substances:
                yield rp.medication_statement(admission, s)
        if want("Condition"):
            yield from rp.history_conditions(admission)
        if want("Observation"):
            yield from rp.history_observations(admission)
        if want("Flag"):
            yield from rp.intake_flags(admission)
    next_at = next_valid_times(stay.assessments)
    latest = latest_valid_pk(stay.assessments)
    for a in stay.assessments:
        if _after(since, a.recorded_at, a.error_marked_at):
            yield from assessment_resources(stay, a, next_at[a.pk], latest, want)
    for plan in stay.plans:
        signature = stay.signature(plan)
        if want("MedicationRequest") and _after(
            since, plan.updated_at, plan.status_changed_at, plan.created_at
        ):
            yield rt.medication_request(admission, plan, signature)
        if want("Provenance") and signature is not None and _after(since, signature.signed_at):
            yield rt.provenance(admission, plan, signature)
    if want("MedicationAdministration"):
        for record in stay.administrations:
            if _after(since, record.recorded_at, record.error_marked_at):
                yield rt.medication_administration(admission, stay.plan_of(record), record)


def everything_bundle(stay: Stay, full_url: Callable[[str, str], str]) -> dict[str, Any]:
    """Encounter/$everything: a searchset of the stay, the Questionnaire as an include."""
    entries = [
        {
            "fullUrl": full_url(r["resourceType"], r["id"]),
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in stay_resources(stay)
    ]
    q = questionnaire()
    entries.append(
        {
            "fullUrl": full_url("Questionnaire", q["id"]),
            "resource": q,
            "search": {"mode": "include"},
        }
    )
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(entries) - 1,
        "entry": entries,
    }
