"""The CIWA-B Questionnaire served at our canonical URL, and the link ids both directions use.

Items, anchors, raters, unable-to-assess reasons and sedation levels come from
``clinical.ciwa_b`` (source: Busto, Sykora & Sellers 1989 as fixed in ciwa-b.md, instrument
CIWA-B version 1989). The entry also carries what ciwa-b.md says is "recorded alongside each
assessment" (sedation, red-flag observations, vital signs), so a response holds a whole
bedside entry. Vital-sign units are the UCUM units of fhir.md's Vital Signs table.
"""

from __future__ import annotations

from typing import Any

from clinical import ciwa_b
from fhir_r4.resources.common import UCUM, code_system, coding, questionnaire_url

QUESTIONNAIRE_ID = "ciwa-b"
SCORE_SYSTEM = "ciwa-b-score"
UNABLE_SYSTEM = "ciwa-b-unable-reason"
SEDATION_SYSTEM = "sedation-level"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
QUESTIONNAIRE_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"

GROUP_ITEMS = "ciwa-b"
UNABLE = "unable-to-assess"
SEDATION = "sedation-level"
GROUP_OBSERVED = "observed"
GROUP_VITALS = "vitals"
NOTES = "notes"
# linkId -> Assessment field, with the item type and (vitals) the UCUM unit.
OBSERVED: dict[str, str] = {
    "seizure": "seizure",
    "hallucinations": "hallucinations",
    "confusion": "confusion",
    "suicidal-thoughts": "suicidal_thoughts",
}
OBSERVED_TEXT = {
    "seizure": "Seizure since the last assessment",
    "hallucinations": "New hallucinations",
    "confusion": "Confusion",
    "suicidal-thoughts": "Suicidal thoughts",
}
VITALS: dict[str, tuple[str, str, str, str]] = {
    # linkId: (field, type, UCUM code, text)
    "heart-rate": ("heart_rate", "integer", "/min", "Heart rate"),
    "systolic-bp": ("systolic_bp", "integer", "mm[Hg]", "Systolic blood pressure"),
    "diastolic-bp": ("diastolic_bp", "integer", "mm[Hg]", "Diastolic blood pressure"),
    "temperature": ("temperature_c", "decimal", "Cel", "Body temperature"),
    "respiratory-rate": ("respiratory_rate", "integer", "/min", "Respiratory rate"),
    "spo2": ("spo2", "integer", "%", "Oxygen saturation (pulse oximetry)"),
}


def canonical() -> str:
    return f"{questionnaire_url()}|{ciwa_b.INSTRUMENT_VERSION}"


def score_coding(item: ciwa_b.Item, value: int) -> dict[str, Any]:
    return coding(code_system(SCORE_SYSTEM), str(value), item.anchors[value])


def _scored_item(item: ciwa_b.Item) -> dict[str, Any]:
    options = []
    for value in range(ciwa_b.ITEM_MIN, ciwa_b.ITEM_MAX + 1):
        option = score_coding(item, value)
        option["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": value}]
        options.append({"valueCoding": option})
    return {
        "linkId": str(item.number),
        "prefix": f"{item.number}.",
        "text": f"{item.question} ({'patient' if item.rater == 'patient' else 'nurse observes'})",
        "type": "choice",
        "answerOption": options,
    }


def questionnaire() -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": questionnaire_url(),
        "version": ciwa_b.INSTRUMENT_VERSION,
        "name": "CIWA_B",
        "title": "Clinical Institute Withdrawal Assessment for Benzodiazepines (CIWA-B)",
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            "CIWA-B (Busto, Sykora & Sellers 1989): 20 items scored 0-4 (items 1-17 asked, "
            "18-20 observed), total 0-80. Give every item, or 'unable to assess' with a "
            "reason. Sedation, red-flag observations and vital signs are recorded alongside. "
            "A monitoring scale only: no dose is derived from it."
        ),
        "item": [
            {
                "linkId": GROUP_ITEMS,
                "text": "CIWA-B items",
                "type": "group",
                "item": [_scored_item(item) for item in ciwa_b.ITEMS],
            },
            {
                "linkId": UNABLE,
                "text": "Unable to assess: why",
                "type": "choice",
                "answerOption": [
                    {"valueCoding": coding(code_system(UNABLE_SYSTEM), str(r), label)}
                    for r, label in ciwa_b.UNABLE_REASON_LABELS.items()
                ],
            },
            {
                "linkId": SEDATION,
                "text": "Sedation level",
                "type": "choice",
                "answerOption": [
                    {"valueCoding": coding(code_system(SEDATION_SYSTEM), str(n), label)}
                    for n, label in ciwa_b.SEDATION_LEVELS.items()
                ],
            },
            {
                "linkId": GROUP_OBSERVED,
                "text": "Observed since the last assessment",
                "type": "group",
                "item": [
                    {"linkId": link, "text": OBSERVED_TEXT[link], "type": "boolean"}
                    for link in OBSERVED
                ],
            },
            {
                "linkId": GROUP_VITALS,
                "text": "Vital signs",
                "type": "group",
                "item": [
                    {
                        "linkId": link,
                        "text": text,
                        "type": kind,
                        "extension": [
                            {"url": QUESTIONNAIRE_UNIT, "valueCoding": coding(UCUM, unit)}
                        ],
                    }
                    for link, (_, kind, unit, text) in VITALS.items()
                ],
            },
            {"linkId": NOTES, "text": "Notes", "type": "text"},
        ],
    }
