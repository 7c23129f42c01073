"""A CIWA-B entry received as a QuestionnaireResponse, turned into the bedside form's input.

Only responses to our own Questionnaire (``fhir_r4.resources.questionnaire``) are accepted, with
status "completed"; every problem is named with the path of the element at fault, and the
entry is then saved by ``assessments.services.assessment_create``, the same service as the
bedside form and the API (same validation, flags, schedule, escalations, audit).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime

from assessments.inputs import AssessmentInput
from clinical import ciwa_b
from fhir_r4.resources import questionnaire as q
from fhir_r4.resources.common import code_system, identifier_system, questionnaire_url

# Idempotency keys of received responses are derived from the sender's identifier, so the
# same identifier always maps to the same key (assessments' unique idempotency_key).
RECEIVED_NAMESPACE = uuid.UUID("0b7f6c3e-52a4-4d7e-9a55-6f1f2f3c9d10")


class Rejected(Exception):
    """The response cannot be taken; ``issues`` are OperationOutcome issues."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(i["diagnostics"] for i in issues))
        self.issues = issues


def issue(message: str, expression: str, code: str = "invalid") -> dict[str, Any]:
    return {"severity": "error", "code": code, "diagnostics": message, "expression": [expression]}


@dataclass(frozen=True)
class Identifier:
    system: str
    value: str

    @property
    def is_ours(self) -> bool:
        return self.system == identifier_system("assessment")

    def key(self) -> uuid.UUID:
        return uuid.uuid5(RECEIVED_NAMESPACE, f"{self.system}|{self.value}")


@dataclass(frozen=True)
class Received:
    encounter_id: str
    subject_id: str | None
    identifier: Identifier | None
    entry: AssessmentInput


def identifier_from_header(header: str) -> Identifier:
    """``If-None-Exist: identifier=system|value`` (FHIR conditional create)."""
    name, _, token = header.strip().partition("=")
    system, bar, value = token.partition("|")
    if name.strip() != "identifier" or not bar or not system or not value:
        raise Rejected(
            [
                issue(
                    "If-None-Exist must be identifier=<system>|<value>.",
                    "If-None-Exist",
                    "not-supported",
                )
            ]
        )
    return Identifier(system, value)


def _reference_id(body: dict[str, Any], name: str, kind: str, errors: list) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    reference = value.get("reference") if isinstance(value, dict) else None
    prefix = f"{kind}/"
    if not isinstance(reference, str) or not reference.startswith(prefix):
        errors.append(issue(f"{name}.reference must be '{kind}/<id>'.", f"{name}.reference"))
        return None
    return reference[len(prefix) :]


def _flatten(items: Any, path: str, out: dict[str, tuple[str, list]], errors: list) -> None:
    if not isinstance(items, list):
        errors.append(issue("item must be a list.", path, "structure"))
        return
    for n, item in enumerate(items):
        where = f"{path}[{n}]"
        link = item.get("linkId") if isinstance(item, dict) else None
        if not isinstance(link, str):
            errors.append(issue("Every item needs a linkId.", f"{where}.linkId", "required"))
            continue
        if link in out:
            errors.append(issue(f"Item {link!r} is given twice.", where))
            continue
        if "item" in item:
            _flatten(item["item"], f"{where}.item", out, errors)
        if "answer" in item:
            answers = item["answer"]
            if not isinstance(answers, list) or len(answers) != 1:
                errors.append(issue(f"Item {link!r} needs exactly one answer.", f"{where}.answer"))
                continue
            out[link] = (f"{where}.answer[0]", answers[0] if isinstance(answers[0], dict) else {})


def _coded(answer: dict, system: str, where: str, choices: set[str], errors: list) -> str | None:
    if "valueInteger" in answer and system in (q.SCORE_SYSTEM, q.SEDATION_SYSTEM):
        value = answer["valueInteger"]
        code = str(value) if isinstance(value, int) and not isinstance(value, bool) else None
    else:
        got = answer.get("valueCoding")
        code = got.get("code") if isinstance(got, dict) else None
        if isinstance(got, dict) and got.get("system") not in (None, code_system(system)):
            errors.append(issue(f"Use the code system {code_system(system)}.", where))
            return None
    if code not in choices:
        errors.append(issue(f"Answer must be one of: {', '.join(sorted(choices))}.", where))
        return None
    return code


def _number(answer: dict, kind: str, where: str, errors: list) -> int | Decimal | None:
    key = "valueDecimal" if kind == "decimal" else "valueInteger"
    value = answer.get(key, answer.get("valueInteger") if kind == "decimal" else None)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors.append(issue(f"Give {key}.", where))
        return None
    if kind == "integer":
        if isinstance(value, int):
            return value
        errors.append(issue(f"Give {key} as a whole number.", where))
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        errors.append(issue(f"Give {key} as a number.", where))
        return None


def _entry(answers: dict[str, tuple[str, dict]], errors: list) -> dict[str, Any]:
    known = {str(i.number) for i in ciwa_b.ITEMS} | {q.UNABLE, q.SEDATION, q.NOTES}
    known |= set(q.OBSERVED) | set(q.VITALS)
    for link, (where, _) in answers.items():
        if link not in known:
            errors.append(issue(f"Item {link!r} is not in the CIWA-B Questionnaire.", where))
    scores = [str(n) for n in range(ciwa_b.ITEM_MIN, ciwa_b.ITEM_MAX + 1)]
    items: list[int | None] = []
    for item in ciwa_b.ITEMS:
        got = answers.get(str(item.number))
        code = _coded(got[1], q.SCORE_SYSTEM, got[0], set(scores), errors) if got else None
        items.append(int(code) if code is not None else None)
    fields: dict[str, Any] = {}
    if any(v is not None for v in items):
        fields["items"] = items
    if q.UNABLE in answers:
        where, answer = answers[q.UNABLE]
        reasons = {str(r) for r in ciwa_b.UnableReason}
        fields["unable_reason"] = _coded(answer, q.UNABLE_SYSTEM, where, reasons, errors)
    if q.SEDATION in answers:
        where, answer = answers[q.SEDATION]
        levels = {str(n) for n in ciwa_b.SEDATION_LEVELS}
        level = _coded(answer, q.SEDATION_SYSTEM, where, levels, errors)
        fields["sedation_level"] = int(level) if level is not None else None
    for link, field in q.OBSERVED.items():
        if link in answers:
            where, answer = answers[link]
            if not isinstance(answer.get("valueBoolean"), bool):
                errors.append(issue("Give valueBoolean.", where))
            fields[field] = answer.get("valueBoolean") is True
    vitals: dict[str, Any] = {}
    for link, (field, kind, _, _) in q.VITALS.items():
        if link in answers:
            where, answer = answers[link]
            vitals[field] = _number(answer, kind, where, errors)
    fields["vitals"] = vitals
    if q.NOTES in answers:
        fields["notes"] = str(answers[q.NOTES][1].get("valueString", ""))[:2000]
    return fields


def parse(body: Any) -> Received:
    """Check the response's structure; raise Rejected naming every problem found."""
    errors: list[dict[str, Any]] = []
    if not isinstance(body, dict) or body.get("resourceType") != "QuestionnaireResponse":
        raise Rejected([issue("Send a QuestionnaireResponse resource.", "resourceType")])
    questionnaire = str(body.get("questionnaire", ""))
    if questionnaire.split("|")[0] != questionnaire_url() or questionnaire.split("|")[1:] not in (
        [],
        [ciwa_b.INSTRUMENT_VERSION],
    ):
        errors.append(
            issue(f"questionnaire must be {q.canonical()} (our CIWA-B).", "questionnaire")
        )
    if body.get("status") != "completed":
        errors.append(issue("status must be 'completed'.", "status", "value"))
    encounter_id = _reference_id(body, "encounter", "Encounter", errors)
    if encounter_id is None and "encounter" not in body:
        errors.append(issue("encounter is required: the stay.", "encounter", "required"))
    subject_id = _reference_id(body, "subject", "Patient", errors)
    assessed_at: dt.datetime | None = None
    if body.get("authored") is not None:
        assessed_at = parse_datetime(str(body["authored"]))
        if assessed_at is None or assessed_at.tzinfo is None:
            errors.append(issue("authored must be a dateTime with a time zone.", "authored"))
    identifier = None
    raw = body.get("identifier")
    if raw is not None:
        if isinstance(raw, list):
            raw = raw[0] if len(raw) == 1 else None
        if not isinstance(raw, dict) or not raw.get("system") or not raw.get("value"):
            errors.append(issue("identifier needs a system and a value.", "identifier"))
        else:
            identifier = Identifier(str(raw["system"]), str(raw["value"]))
    answers: dict[str, tuple[str, dict]] = {}
    _flatten(body.get("item", []), "item", answers, errors)
    fields = _entry(answers, errors)
    if errors:
        raise Rejected(errors)
    return Received(
        encounter_id=str(encounter_id),
        subject_id=subject_id,
        identifier=identifier,
        entry=AssessmentInput(assessed_at=assessed_at, **fields),
    )


# Service field names (assessments.inputs) -> where the problem is in the response.
FIELD_PATHS: dict[str, str] = {
    "items": f"item.where(linkId='{q.GROUP_ITEMS}')",
    "unable_to_assess": f"item.where(linkId='{q.UNABLE}')",
    "sedation_level": f"item.where(linkId='{q.SEDATION}')",
    "assessed_at": "authored",
    "admission": "encounter",
    **{field: f"item.where(linkId='{link}')" for link, (field, *_) in q.VITALS.items()},
}
