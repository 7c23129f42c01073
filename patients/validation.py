"""Input rules of the intake, shared by every intake service (and so by forms and API).

Errors are collected per field with the keys the services use (``patient.mrn``,
``substances.0.daily_dose_mg``...), so a form or an API client sees all of them at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from clinical.equivalence import AGENTS
from cnt_detox.core import audit
from patients.models import Admission, Sex, SubstanceUse

PATIENT_FIELDS = ("mrn", "first_name", "last_name", "date_of_birth", "sex")
HISTORY_FIELDS = (
    "withdrawal_seizures",
    "epilepsy",
    "withdrawal_psychosis",
    "alcohol_dependence",
    "other_cns_depressants",
    "other_cns_depressants_detail",
    "hepatic_impairment",
    "injecting",
)
SUBSTANCE_FIELDS = (
    "agent",
    "other_agent_text",
    "daily_dose_mg",
    "doses_per_day",
    "days_per_week",
    "duration_months",
    "last_dose_at",
    "prescribed",
)
COMPUTED_FIELDS = (
    "diazepam_equivalent_mg",
    "diazepam_range_low_mg",
    "diazepam_range_high_mg",
    "equivalence_table",
    "equivalence_table_version",
    "dose_band",
    "withdrawal_risk",
    "intake_flags",
    "setting_recommendation",
    "primary_agent",
)
AUDITED_ADMISSION_FIELDS = (
    "admitted_at",
    "referral_notes",
    "other_substances",
    *HISTORY_FIELDS,
    *COMPUTED_FIELDS,
)
MAX_SUBSTANCES = 4
MAX_DAILY_DOSE_MG = Decimal("1000")
"""Issue 3: above 1000 mg/day of any agent is absurd (a unit error), not a dose to convert."""
CLOCK_SKEW = dt.timedelta(minutes=5)
"""Tolerance for device clocks when refusing times in the future (not a clinical threshold)."""
EARLIEST_BIRTH = dt.date(1900, 1, 1)


def norm(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


def validate_patient(data: Mapping[str, Any], errors: dict[str, list[str]], *, today: dt.date):
    for name in ("mrn", "first_name", "last_name"):
        if name in data and not str(data.get(name) or "").strip():
            errors[f"patient.{name}"] = ["This field is required."]
    born = data.get("date_of_birth")
    if "date_of_birth" in data:
        if not isinstance(born, dt.date):
            errors["patient.date_of_birth"] = ["Enter the date of birth."]
        elif born > today:
            errors["patient.date_of_birth"] = ["Date of birth cannot be in the future."]
        elif born < EARLIEST_BIRTH:
            errors["patient.date_of_birth"] = ["Date of birth before 1900: check the year."]
    if data.get("sex") and data["sex"] not in Sex.values:
        errors["patient.sex"] = [f"Choose one of: {', '.join(Sex.values)}."]


def validate_substances(
    rows: Sequence[Mapping[str, Any]], errors: dict[str, list[str]], *, now: dt.datetime
) -> None:
    if not rows:
        errors["substances"] = ["Enter at least one benzodiazepine (or other/unknown)."]
        return
    if len(rows) > MAX_SUBSTANCES:
        errors["substances"] = [f"Enter at most {MAX_SUBSTANCES} substances."]
        return
    for i, row in enumerate(rows):
        _check_substance(row, f"substances.{i}.", errors, now=now)


def _check_substance(
    row: Mapping[str, Any], key: str, errors: dict[str, list[str]], *, now: dt.datetime
) -> None:
    """Field errors of one substance row, under ``key`` (``substances.<i>.``)."""
    _check_agent(row, key, errors)
    _check_daily_dose(row.get("daily_dose_mg"), key, errors)
    _check_pattern(row, key, errors)
    last = row.get("last_dose_at")
    if last is not None and last > now + CLOCK_SKEW:
        errors[key + "last_dose_at"] = ["The last dose cannot be in the future."]


def _check_agent(row: Mapping[str, Any], key: str, errors: dict[str, list[str]]) -> None:
    agent = str(row.get("agent") or "").strip().lower()
    if agent not in AGENTS and agent != SubstanceUse.OTHER:
        errors[key + "agent"] = [
            f"Unknown agent {agent!r}: choose one from the list, or 'other' and type its name."
        ]
    if agent == SubstanceUse.OTHER and not str(row.get("other_agent_text") or "").strip():
        errors[key + "other_agent_text"] = ["Type the name of the other/unknown substance."]


def _check_daily_dose(dose: Any, key: str, errors: dict[str, list[str]]) -> None:
    if dose is None:
        errors[key + "daily_dose_mg"] = ["Enter the daily dose in mg."]
    elif dose <= 0:
        errors[key + "daily_dose_mg"] = ["The daily dose must be more than 0 mg."]
    elif dose > MAX_DAILY_DOSE_MG:
        errors[key + "daily_dose_mg"] = [
            f"{dose} mg a day is not plausible (over {MAX_DAILY_DOSE_MG} mg): check the "
            "units (mg, not micrograms) and the number of tablets."
        ]


def _check_pattern(row: Mapping[str, Any], key: str, errors: dict[str, list[str]]) -> None:
    """How the substance is taken: days a week, months of use, doses a day."""
    days = row.get("days_per_week")
    if days is None or not 1 <= int(days) <= 7:
        errors[key + "days_per_week"] = ["Days per week must be 1 to 7."]
    months = row.get("duration_months")
    if months is None or months < 0 or months > 1200:
        errors[key + "duration_months"] = ["Duration must be 0 to 1200 months."]
    per_day = row.get("doses_per_day")
    if per_day is not None and not 1 <= int(per_day) <= 12:
        errors[key + "doses_per_day"] = ["Doses per day must be 1 to 12."]


def raise_if(errors: Mapping[str, list[str]]) -> None:
    if errors:
        raise ValidationError(dict(errors))


def build_substances(admission: Admission, rows: Sequence[Mapping[str, Any]]) -> list[SubstanceUse]:
    built = []
    for position, row in enumerate(rows):
        agent = str(row["agent"]).strip().lower()
        built.append(
            SubstanceUse(
                admission=admission,
                agent=agent,
                other_agent_text=(
                    str(row.get("other_agent_text") or "").strip()
                    if agent == SubstanceUse.OTHER
                    else ""
                ),
                daily_dose_mg=row["daily_dose_mg"],
                doses_per_day=row.get("doses_per_day"),
                days_per_week=int(row["days_per_week"]),
                duration_months=row["duration_months"],
                last_dose_at=row.get("last_dose_at"),
                prescribed=row.get("prescribed"),
                position=position,
            )
        )
    return built


def full_clean_rows(rows: Iterable[SubstanceUse]) -> None:
    errors: dict[str, list[str]] = {}
    for i, row in enumerate(rows):
        try:
            row.full_clean(exclude=["admission"], validate_unique=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[f"substances.{i}.{name}"] = messages
    raise_if(errors)


def substance_snapshot(rows: Iterable[SubstanceUse]) -> list[dict[str, Any]]:
    return [
        audit.snapshot(row, (*SUBSTANCE_FIELDS, "diazepam_mg", "entered_in_error")) for row in rows
    ]


def integrity_error(exc: IntegrityError) -> ValidationError:
    """Turn a lost race on a unique constraint into the error the pre-check would have given."""
    text = str(exc).lower()
    if "one_current_admission_per_bed" in text or "bed_id" in text:
        return ValidationError(
            {"bed": ["Someone has just admitted a patient to this bed; choose another bed."]}
        )
    if "one_open_admission_per_patient" in text or "patient_id" in text:
        return ValidationError({"patient.mrn": ["This patient has just been admitted."]})
    if "mrn" in text:
        return ValidationError({"patient.mrn": ["This MRN has just been registered; retry."]})
    return ValidationError({"non_field_errors": ["The record changed meanwhile; retry."]})
