"""Taper plan versions as MedicationRequests, their signatures as Provenance, and dose
records as MedicationAdministrations.

Source: /work/shared/domain/fhir.md: MedicationRequest status active / completed / stopped /
entered-in-error with one dosageInstruction per step (timing.repeat.boundsPeriod,
frequency/period, doseAndRate.doseQuantity in mg); Provenance targeting the MedicationRequest,
agent the physician, signature.type 1.2.840.10065.1.12.1.1 (ASTM E1762 author's signature)
with the digest; MedicationAdministration completed / not-done with statusReason /
entered-in-error. Steps, doses and tablets are the signed plan's stored content
(tapering.md 3, 5, 6), never recomputed here.
"""

from __future__ import annotations

import base64
from typing import Any

from clinical.taper.rounding import formulation_for
from fhir_r4.resources.common import (
    AUTHOR_SIGNATURE,
    PROVENANCE_PARTICIPANT,
    SIGNATURE_TYPE_SYSTEM,
    code_system,
    coding,
    extension_url,
    identifier_system,
    instant,
    medication_concept,
    mg,
    prune,
    quantity,
    ref,
    staff_ref,
)
from fhir_r4.resources.patient import encounter_ref, patient_ref
from tapering.plan_content import units_text

PLAN_STATUS = {
    "draft": "draft",
    "signed": "active",
    "active": "active",
    "completed": "completed",
    # Superseded by a signed amendment or discontinued: no longer to be given.
    "superseded": "stopped",
    "discontinued": "stopped",
}
DIGEST_EXTENSION = "content-sha256"


def medication_text(agent: str) -> str:
    formulation = formulation_for(agent)
    return f"{agent.capitalize()} {formulation.form}s"


def _time(hhmm: str) -> str:
    return hhmm if hhmm.count(":") == 2 else f"{hhmm}:00"


def _dosage(
    sequence: int, step: dict[str, Any], doses: list[dict[str, Any]], formulation: Any
) -> dict[str, Any]:
    text = "; ".join(
        f"{d['time']} {d['mg']} mg ({units_text(d['units'], formulation)})" for d in doses
    )
    if step.get("note"):
        text = f"{text}. {step['note']}"
    same_mg = len({d["mg"] for d in doses}) == 1
    return prune(
        {
            "sequence": sequence,
            "text": text,
            "timing": {
                "repeat": {
                    "boundsPeriod": {"start": step["start_date"], "end": step["end_date"]},
                    "frequency": len(doses),
                    "period": 1,
                    "periodUnit": "d",
                    "timeOfDay": [_time(d["time"]) for d in doses],
                }
            },
            "route": {"text": "Oral"},
            "doseAndRate": [{"doseQuantity": mg(doses[0]["mg"])}] if same_mg else None,
            "maxDosePerPeriod": {
                "numerator": mg(step["daily_total_mg"]),
                "denominator": quantity(1, "day", "d"),
            },
        }
    )


def dosage_instructions(plan: Any) -> list[dict[str, Any]]:
    """One Dosage per step, ``sequence`` = step number. A step whose doses differ by time of
    day (07:00 10 mg, 21:00 5 mg) is one Dosage per time sharing the step's sequence (FHIR:
    instructions with the same sequence apply together), so every dose keeps its mg."""
    formulation = formulation_for(plan.target_agent)
    out = []
    for number, step in enumerate(plan.result["steps"], start=1):
        doses = step["doses"]
        if len({d["mg"] for d in doses}) <= 1:
            out.append(_dosage(number, step, doses, formulation))
        else:
            out.extend(_dosage(number, step, [d], formulation) for d in doses)
    return out


def medication_request(admission: Any, plan: Any, signature: Any) -> dict[str, Any]:
    status = PLAN_STATUS.get(plan.status, "unknown")
    reason = plan.status_reason if status == "stopped" else ""
    notes = [{"text": f"Plan content SHA-256: {plan.content_digest}"}]
    if plan.amendment_reason:
        notes.append({"text": f"Amendment: {plan.amendment_reason}"})
    return prune(
        {
            "resourceType": "MedicationRequest",
            "id": str(plan.public_id),
            "extension": [
                {"url": extension_url(DIGEST_EXTENSION), "valueString": plan.content_digest}
            ],
            "identifier": [
                {"system": identifier_system("taper-plan"), "value": str(plan.public_id)}
            ],
            "status": status,
            "statusReason": {"text": reason} if reason else None,
            "intent": "order" if signature is not None else "proposal",
            "medicationCodeableConcept": medication_concept(
                plan.target_agent, medication_text(plan.target_agent)
            ),
            "subject": patient_ref(admission),
            "encounter": encounter_ref(admission),
            "authoredOn": instant(signature.signed_at if signature else plan.created_at),
            "requester": staff_ref(signature.signed_by if signature else plan.created_by),
            "priorPrescription": ref("MedicationRequest", plan.supersedes.public_id)
            if plan.supersedes_id
            else None,
            "groupIdentifier": {
                "system": identifier_system("taper-plan-version"),
                "value": f"{admission.public_id}/v{plan.version}",
            },
            "note": notes,
            "dosageInstruction": dosage_instructions(plan),
        }
    )


def provenance(admission: Any, plan: Any, signature: Any) -> dict[str, Any]:
    """The physician's signature of one plan version: who, when, meaning and the SHA-256 of
    the signed canonical content (the same digest the plan page shows)."""
    who = staff_ref(signature.signed_by)
    digest_bytes = bytes.fromhex(signature.digest)
    extensions = [{"url": extension_url(DIGEST_EXTENSION), "valueString": signature.digest}]
    if signature.override_reason:
        extensions.append(
            {"url": extension_url("override-reason"), "valueString": signature.override_reason}
        )
    return prune(
        {
            "resourceType": "Provenance",
            "id": str(signature.public_id),
            "target": [ref("MedicationRequest", plan.public_id)],
            "occurredDateTime": instant(signature.signed_at),
            "recorded": instant(signature.signed_at),
            "reason": [{"text": signature.meaning}],
            "agent": [
                {
                    "type": {"coding": [coding(PROVENANCE_PARTICIPANT, "author")]},
                    "role": [{"text": signature.role}],
                    "who": who,
                }
            ],
            "signature": [
                {
                    "extension": extensions,
                    "type": [coding(SIGNATURE_TYPE_SYSTEM, AUTHOR_SIGNATURE, "Author's Signature")],
                    "when": instant(signature.signed_at),
                    "who": who,
                    "targetFormat": "application/json",
                    # The SHA-256 digest of the canonical JSON (not a cryptographic signature).
                    "data": base64.b64encode(digest_bytes).decode("ascii"),
                }
            ],
        }
    )


HELD_TEXT = {
    "sedated": "Sedated",
    "difficult_to_rouse": "Patient asleep and difficult to rouse",
    "refused": "Refused",
    "vomited": "Vomited",
    "off_unit": "Off unit",
    "other": "Other",
}


def _status_reason(record: Any) -> list[dict[str, Any]] | None:
    if record.outcome == "held":
        text = HELD_TEXT.get(record.held_reason, record.held_reason)
        if record.reason_text:
            text = f"{text}: {record.reason_text}"
        return [
            {
                "coding": [coding(code_system("dose-held-reason"), record.held_reason)],
                "text": text,
            }
        ]
    if record.outcome == "refused":
        return [{"coding": [coding(code_system("dose-held-reason"), "refused")], "text": "Refused"}]
    return None


def medication_administration(admission: Any, plan: Any, record: Any) -> dict[str, Any]:
    dose = record.scheduled_dose
    if record.status != "valid":
        status = "entered-in-error"
    else:
        status = "completed" if record.outcome == "given" else "not-done"
    notes = [{"text": f"Entered in error: {record.error_reason}"}] if record.error_reason else []
    return prune(
        {
            "resourceType": "MedicationAdministration",
            "id": str(record.public_id),
            "status": status,
            "statusReason": _status_reason(record),
            "medicationCodeableConcept": medication_concept(
                plan.target_agent, medication_text(plan.target_agent)
            ),
            "subject": patient_ref(admission),
            "context": encounter_ref(admission),
            "effectiveDateTime": instant(record.occurred_at),
            "performer": [{"actor": staff_ref(record.recorded_by)}],
            "request": ref("MedicationRequest", plan.public_id),
            "note": notes,
            "dosage": {"text": dose.units_text, "dose": mg(dose.mg)},
        }
    )
