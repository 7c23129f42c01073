"""One CIWA-B entry as a QuestionnaireResponse, its total Observation, its vital-sign
Observations, and the Flags it raised.

Sources: /work/shared/domain/fhir.md (QuestionnaireResponse status completed or
entered-in-error; total as a survey Observation derived from the response, value integer,
interpretation text = band; Vital Signs profile with the LOINC codes and UCUM units of its
table; no LOINC code for CIWA-B, so the total has a local code). Bands: ciwa-b.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clinical import ciwa_b
from fhir_r4 import ids
from fhir_r4.resources import questionnaire as q
from fhir_r4.resources.common import (
    DATA_ABSENT_REASON,
    LOINC,
    OBSERVATION_CATEGORY,
    code_system,
    coding,
    identifier_system,
    instant,
    local_concept,
    number,
    prune,
    quantity,
    ref,
    staff_ref,
)
from fhir_r4.resources.patient import encounter_ref, flag, patient_ref

VITAL_SIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
# fhir.md "Vital Signs profile codes": (suffix, field, LOINC codes, text, UCUM unit).
VITAL_OBSERVATIONS: tuple[tuple[str, str, tuple[str, ...], str, str], ...] = (
    ("hr", "heart_rate", ("8867-4",), "Heart rate", "/min"),
    ("rr", "respiratory_rate", ("9279-1",), "Respiratory rate", "/min"),
    ("temp", "temperature_c", ("8310-5",), "Body temperature", "Cel"),
    ("spo2", "spo2", ("59408-5", "2708-6"), "Oxygen saturation (pulse oximetry)", "%"),
)
VITALS_PANEL = "85353-1"
BP_PANEL, SYSTOLIC, DIASTOLIC = "85354-9", "8480-6", "8462-4"


def _status(assessment: Any, valid: str) -> str:
    return valid if assessment.is_valid else "entered-in-error"


def response_id(assessment: Any) -> str:
    return str(assessment.public_id)


def _identifier(assessment: Any, received: Any) -> dict[str, Any]:
    # R4 allows one identifier: the sender's when the entry came in over FHIR, else ours.
    if received is not None:
        return {"system": received.system, "value": received.value}
    return {"system": identifier_system("assessment"), "value": str(assessment.public_id)}


def _answer_items(a: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if a.items is not None:
        items.append(
            {
                "linkId": q.GROUP_ITEMS,
                "item": [
                    {
                        "linkId": str(item.number),
                        "answer": [{"valueCoding": q.score_coding(item, int(value))}],
                    }
                    for item, value in zip(ciwa_b.ITEMS, a.items, strict=True)
                ],
            }
        )
    if a.unable_reason:
        label = ciwa_b.UNABLE_REASON_LABELS.get(ciwa_b.UnableReason(a.unable_reason), "")
        answer = coding(code_system(q.UNABLE_SYSTEM), a.unable_reason, label)
        items.append({"linkId": q.UNABLE, "answer": [{"valueCoding": answer}]})
    if a.sedation_level is not None:
        level = coding(
            code_system(q.SEDATION_SYSTEM),
            str(a.sedation_level),
            ciwa_b.SEDATION_LEVELS.get(a.sedation_level),
        )
        items.append({"linkId": q.SEDATION, "answer": [{"valueCoding": level}]})
    items.append(
        {
            "linkId": q.GROUP_OBSERVED,
            "item": [
                {"linkId": link, "answer": [{"valueBoolean": bool(getattr(a, field))}]}
                for link, field in q.OBSERVED.items()
            ],
        }
    )
    vitals = []
    for link, (field, kind, _, _) in q.VITALS.items():
        value = getattr(a, field)
        if value is not None:
            key = "valueDecimal" if kind == "decimal" else "valueInteger"
            vitals.append({"linkId": link, "answer": [{key: number(value)}]})
    if vitals:
        items.append({"linkId": q.GROUP_VITALS, "item": vitals})
    if a.notes:
        items.append({"linkId": q.NOTES, "answer": [{"valueString": a.notes}]})
    return items


def questionnaire_response(admission: Any, a: Any, received: Any = None) -> dict[str, Any]:
    return prune(
        {
            "resourceType": "QuestionnaireResponse",
            "id": response_id(a),
            "identifier": _identifier(a, received),
            "questionnaire": q.canonical(),
            "status": _status(a, "completed"),
            "subject": patient_ref(admission),
            "encounter": encounter_ref(admission),
            "authored": instant(a.assessed_at),
            "author": staff_ref(a.entered_by),
            "item": _answer_items(a),
        }
    )


def _observation(admission: Any, a: Any, suffix: str, **fields: Any) -> dict[str, Any]:
    return prune(
        {
            "resourceType": "Observation",
            "id": ids.derived(a.public_id, suffix),
            "status": _status(a, "final"),
            **fields,
            "subject": patient_ref(admission),
            "encounter": encounter_ref(admission),
            "effectiveDateTime": instant(a.assessed_at),
            "performer": [staff_ref(a.entered_by)],
            "derivedFrom": [ref("QuestionnaireResponse", response_id(a))],
        }
    )


def total_observation(admission: Any, a: Any) -> dict[str, Any]:
    survey = [{"coding": [coding(OBSERVATION_CATEGORY, "survey")]}]
    code = local_concept("ciwa-b", "total", "CIWA-B total score")
    if a.total is None:
        label = ciwa_b.UNABLE_REASON_LABELS.get(ciwa_b.UnableReason(a.unable_reason), "")
        absent = {
            "coding": [coding(DATA_ABSENT_REASON, "not-performed")],
            "text": f"Unable to assess: {label}",
        }
        return _observation(
            admission, a, "total", category=survey, code=code, dataAbsentReason=absent
        )
    band = a.band_name
    return _observation(
        admission,
        a,
        "total",
        category=survey,
        code=code,
        valueInteger=a.total,
        interpretation=[{"text": band}] if band else None,
    )


def _vital(
    admission: Any, a: Any, suffix: str, codes: tuple[str, ...], text: str, **fields: Any
) -> dict[str, Any]:
    return {
        **_observation(
            admission,
            a,
            suffix,
            category=[{"coding": [coding(OBSERVATION_CATEGORY, "vital-signs")]}],
            code={"coding": [coding(LOINC, c) for c in codes], "text": text},
            **fields,
        ),
        "meta": {"profile": [VITAL_SIGNS_PROFILE]},
    }


def vital_observations(admission: Any, a: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for suffix, field, codes, text, unit in VITAL_OBSERVATIONS:
        value = getattr(a, field)
        if value is not None:
            out.append(
                _vital(admission, a, suffix, codes, text, valueQuantity=quantity(value, unit))
            )
    if a.systolic_bp is not None and a.diastolic_bp is not None:
        components = [
            {
                "code": {"coding": [coding(LOINC, SYSTOLIC)], "text": "Systolic blood pressure"},
                "valueQuantity": quantity(a.systolic_bp, "mm[Hg]"),
            },
            {
                "code": {"coding": [coding(LOINC, DIASTOLIC)], "text": "Diastolic blood pressure"},
                "valueQuantity": quantity(a.diastolic_bp, "mm[Hg]"),
            },
        ]
        out.append(_vital(admission, a, "bp", (BP_PANEL,), "Blood pressure", component=components))
    if out:
        members = [ref("Observation", o["id"]) for o in out]
        panel = _vital(admission, a, "vitals", (VITALS_PANEL,), "Vital signs", hasMember=members)
        out.insert(0, panel)
    return out


def assessment_flags(
    admission: Any, a: Any, next_valid_at: Any, is_latest_valid: bool
) -> Iterable[dict[str, Any]]:
    """Flags an entry raised: active while it is the latest valid entry of an open stay."""
    for index, row in enumerate(a.flags or []):
        if not a.is_valid:
            status = "entered-in-error"
        elif is_latest_valid and admission.is_open:
            status = "active"
        else:
            status = "inactive"
        end = next_valid_at if a.is_valid else None
        if a.is_valid and end is None and not admission.is_open:
            end = admission.discharged_at
        yield flag(
            flag_id=ids.derived(a.public_id, ids.flag_suffix(index)),
            row=row,
            admission=admission,
            status=status,
            start=a.assessed_at,
            end=end,
            author=staff_ref(a.entered_by),
        )
