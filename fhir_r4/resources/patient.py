"""Patient, Encounter, intake MedicationStatements, history Conditions and Observations, and
the intake Flags of one admission.

Source: /work/shared/domain/fhir.md "Resources a detox stay maps to": MRN identifier with the
facility's system; Encounter class IMP (v3 ActCode) with unit and bed as locations and a
period; medication as text; history as text plus local codes; Flag active/inactive.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from fhir_r4 import ids
from fhir_r4.resources.common import (
    OBSERVATION_CATEGORY,
    V3_ACT_CODE,
    coding,
    extension_url,
    identifier_system,
    instant,
    local_concept,
    medication_concept,
    prune,
    ref,
)

HISTORY_TEXT = {
    "withdrawal_seizures": "History of benzodiazepine withdrawal seizures",
    "epilepsy": "Epilepsy or seizure disorder",
    "withdrawal_psychosis": "History of withdrawal psychosis or delirium",
    "alcohol_dependence": "Alcohol dependence",
    "hepatic_impairment": "Liver impairment",
    "injecting": "Injecting benzodiazepines",
    "other_cns_depressants": "Other CNS depressants in use",
}


def patient(p: Any) -> dict[str, Any]:
    return prune(
        {
            "resourceType": "Patient",
            "id": str(p.public_id),
            "identifier": [{"use": "usual", "system": settings.FHIR_MRN_SYSTEM, "value": p.mrn}],
            "name": [{"family": p.last_name, "given": [p.first_name]}],
            # Our choices are FHIR's administrative-gender codes.
            "gender": p.sex,
            "birthDate": p.date_of_birth.isoformat(),
        }
    )


def patient_ref(admission: Any) -> dict[str, Any]:
    return ref("Patient", admission.patient.public_id)


def encounter_ref(admission: Any) -> dict[str, Any]:
    return ref("Encounter", admission.public_id)


def _location(movement: Any, until: Any) -> dict[str, Any]:
    return {
        "location": {
            "identifier": {
                "system": identifier_system("bed"),
                "value": str(movement.to_bed.public_id),
            },
            "display": f"{movement.to_unit.name}, bed {movement.to_bed.label}",
        },
        "status": "completed" if until else "active",
        "period": {"start": instant(movement.moved_at), "end": instant(until)},
    }


def encounter(admission: Any, movements: list[Any]) -> dict[str, Any]:
    """One inpatient stay; each bed placement (a transfer included) is a location entry."""
    moves = sorted(movements, key=lambda m: (m.moved_at, m.pk))
    locations = []
    for index, move in enumerate(moves):
        until = moves[index + 1].moved_at if index + 1 < len(moves) else admission.discharged_at
        locations.append(_location(move, until))
    return prune(
        {
            "resourceType": "Encounter",
            "id": str(admission.public_id),
            "identifier": [
                {"system": identifier_system("admission"), "value": str(admission.public_id)}
            ],
            "status": "in-progress" if admission.is_open else "finished",
            "class": coding(V3_ACT_CODE, "IMP", "inpatient encounter"),
            "subject": patient_ref(admission),
            "period": {
                "start": instant(admission.admitted_at),
                "end": instant(admission.discharged_at),
            },
            "serviceProvider": {"display": settings.FACILITY_NAME},
            "hospitalization": {
                "dischargeDisposition": {"text": admission.discharge_reason}
                if admission.discharge_reason
                else None
            },
            "location": locations,
        }
    )


def _dose_text(s: Any) -> str:
    parts = [f"{s.daily_dose_mg.normalize():f} mg a day"]
    if s.doses_per_day:
        parts.append(f"in {s.doses_per_day} doses")
    parts.append(f"{s.days_per_week} days a week")
    parts.append(f"for {s.duration_months.normalize():f} months")
    return ", ".join(parts)


def medication_statement(admission: Any, s: Any) -> dict[str, Any]:
    """Benzodiazepine use before admission (intake). A row removed from the intake is kept
    as entered-in-error. "completed": the use ended on admission, replaced by the stay's plan."""
    notes = []
    if s.prescribed is not None:
        notes.append({"text": "Prescribed" if s.prescribed else "Not prescribed"})
    if s.diazepam_mg is not None:
        notes.append(
            {
                "text": f"Diazepam equivalent {s.diazepam_mg.normalize():f} mg/day "
                f"({admission.equivalence_table} {admission.equivalence_table_version})"
            }
        )
    else:
        notes.append({"text": "No conversion to diazepam (agent not in the equivalence table)"})
    return prune(
        {
            "resourceType": "MedicationStatement",
            "id": str(s.public_id),
            "status": "entered-in-error" if s.entered_in_error else "completed",
            "medicationCodeableConcept": medication_concept(s.agent, s.agent_label),
            "subject": patient_ref(admission),
            "context": encounter_ref(admission),
            "effectivePeriod": {"end": instant(s.last_dose_at)} if s.last_dose_at else None,
            "dateAsserted": instant(admission.created_at),
            "note": notes,
            "dosage": [{"text": _dose_text(s)}],
        }
    )


def history_conditions(admission: Any) -> Iterable[dict[str, Any]]:
    """A Condition for each history item ticked at intake (text plus a local code)."""
    for suffix, field in ids.HISTORY_CONDITIONS.items():
        if getattr(admission, field):
            yield history_condition(admission, suffix)


def history_condition(admission: Any, suffix: str) -> dict[str, Any]:
    field = ids.HISTORY_CONDITIONS[suffix]
    return {
        "resourceType": "Condition",
        "id": ids.derived(admission.public_id, suffix),
        "code": local_concept("intake-history", field.replace("_", "-"), HISTORY_TEXT[field]),
        "subject": patient_ref(admission),
        "encounter": encounter_ref(admission),
        "recordedDate": instant(admission.created_at),
    }


def history_observations(admission: Any) -> Iterable[dict[str, Any]]:
    """Injecting and other CNS depressants: recorded yes or no at every intake."""
    for suffix in ids.HISTORY_OBSERVATIONS:
        yield history_observation(admission, suffix)


def history_observation(admission: Any, suffix: str) -> dict[str, Any]:
    field = ids.HISTORY_OBSERVATIONS[suffix]
    detail = admission.other_cns_depressants_detail if field == "other_cns_depressants" else ""
    return prune(
        {
            "resourceType": "Observation",
            "id": ids.derived(admission.public_id, suffix),
            "status": "final",
            "category": [{"coding": [coding(OBSERVATION_CATEGORY, "social-history")]}],
            "code": local_concept("intake-history", field.replace("_", "-"), HISTORY_TEXT[field]),
            "subject": patient_ref(admission),
            "encounter": encounter_ref(admission),
            "effectiveDateTime": instant(admission.admitted_at),
            "valueBoolean": bool(getattr(admission, field)),
            "note": [{"text": detail}] if detail else None,
        }
    )


def flag(
    *,
    flag_id: str,
    row: dict[str, Any],
    admission: Any,
    status: str,
    start: Any,
    end: Any,
    author: Any = None,
) -> dict[str, Any]:
    """A risk flag (risk.md rules) as stored with its level, reason and source."""
    level = str(row.get("level", ""))
    reason = str(row.get("reason", "")) or str(row.get("code", ""))
    return prune(
        {
            "resourceType": "Flag",
            "id": flag_id,
            "extension": [{"url": extension_url("flag-level"), "valueCode": level}]
            if level
            else None,
            "status": status,
            "code": local_concept("risk-flag", str(row.get("code", "flag")), reason),
            "subject": patient_ref(admission),
            "encounter": encounter_ref(admission),
            "period": {"start": instant(start), "end": instant(end)},
            "author": author,
        }
    )


def intake_flags(admission: Any) -> Iterable[dict[str, Any]]:
    """Flags judged at intake: active while the patient is admitted."""
    for index, row in enumerate(admission.intake_flags or []):
        yield intake_flag(admission, index, row)


def intake_flag(admission: Any, index: int, row: dict[str, Any]) -> dict[str, Any]:
    return flag(
        flag_id=ids.derived(admission.public_id, ids.flag_suffix(index)),
        row=row,
        admission=admission,
        status="active" if admission.is_open else "inactive",
        start=admission.admitted_at,
        end=admission.discharged_at,
    )
