"""Intake calculations: from stored (or about-to-be-stored) intake rows to the pure domain.

Two jobs, both thin adapters over pure code:
- ``compute_intake`` fills the computed intake fields of an admission and its substance rows
  (diazepam equivalent, dose band, withdrawal risk, intake flags, setting recommendation) from
  clinical/equivalence/ and clinical/risk/;
- ``intake_facts`` builds the risk-rule inputs from an admission, using the conversions stored
  at intake so later flags match what the intake showed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from clinical.equivalence import (
    TABLES,
    UnknownAgentError,
    convert_regimen,
    is_short_acting,
    regimen_dose_band,
    withdrawal_risk,
)
from clinical.risk import (
    DOSE_UNKNOWN,
    RULES_VERSION,
    IntakeFacts,
    SubstanceFacts,
    intake_flags,
    setting_recommendation,
)
from patients.models import Admission, SubstanceUse

NO_CONVERSION_ADVICE = "no conversion: titrate to the lowest dose that controls withdrawal"
"""equivalence.md (quoting the 2025 Joint Guideline): an agent without a factor is never guessed."""


def intake_facts(
    admission: Admission,
    *,
    on: dt.date | None = None,
    substances: Sequence[SubstanceUse] | None = None,
) -> IntakeFacts:
    """Facts for the risk rules. ``on`` is the day age is computed for (default: admission day).

    ``substances`` lets the intake service pass rows it has not saved yet; by default the
    admission's current rows are read (rows marked entered in error are never included).
    """
    if substances is None:
        substances = list(admission.substances.all())
    total = admission.diazepam_equivalent_mg
    if total is None:
        total = sum((s.diazepam_mg or Decimal("0") for s in substances), Decimal("0"))
    # A row without a stored conversion is an agent the table does not list (or "other"):
    # its dose is unknown, never zero (equivalence.md).
    unconverted = tuple(s.agent_label for s in substances if s.diazepam_mg is None)
    band = regimen_dose_band(total, any_unconverted=bool(unconverted))
    day = on or admission.admitted_at.astimezone(admission.unit.tz).date()
    return IntakeFacts(
        total_diazepam_mg=total,
        dose_band=admission.dose_band or (str(band) if band is not None else DOSE_UNKNOWN),
        unconverted_agents=unconverted,
        substances=tuple(
            SubstanceFacts(
                agent=s.agent,
                diazepam_mg=s.diazepam_mg or Decimal("0"),
                last_dose_at=s.last_dose_at,
                short_acting=s.agent != s.OTHER and is_short_acting(s.agent),
            )
            for s in substances
        ),
        age_years=admission.patient.age_on(day),
        withdrawal_seizures=admission.withdrawal_seizures,
        epilepsy=admission.epilepsy,
        withdrawal_psychosis=admission.withdrawal_psychosis,
        alcohol_dependence=admission.alcohol_dependence,
        other_cns_depressants=admission.other_cns_depressants,
        hepatic_impairment=admission.hepatic_impairment,
        injecting=admission.injecting,
    )


def regimen_pattern(substances: Sequence[SubstanceUse]) -> tuple[int, Decimal]:
    """Days per week and duration (months) to read the Table 2 withdrawal-risk matrix with.

    The 2025 Joint Guideline Table 2 (via equivalence.md) describes one pattern of use; a
    regimen of several agents has one per row. We take the MOST FREQUENT use (the highest days
    per week of any row) and the LONGEST duration of any row, rows of unconverted "other"
    agents included: the body has been exposed to a benzodiazepine that often and that long,
    and taking the pattern of one row alone could understate the risk.
    """
    days = max((s.days_per_week for s in substances), default=0)
    months = max((s.duration_months for s in substances), default=Decimal("0"))
    return days, months


def compute_intake(
    admission: Admission, substances: Sequence[SubstanceUse], *, table_id: str
) -> None:
    """Fill the computed fields of ``admission`` and ``substances`` in memory (caller saves).

    - Diazepam equivalent per agent and in total under ``table_id``, the chosen table's range
      and the range across every table (equivalence.md; ``convert_regimen``).
    - "other/unknown" agents, and agents the chosen table does not list, are never converted
      (equivalence.md: refused, never guessed): their diazepam fields stay empty, they add
      nothing to the total, and they are listed with the reason in
      ``intake_basis["unconverted"]`` so the pages can say so beside the total.
    - Dose band and withdrawal risk (2025 Joint Guideline Table 2), with ``regimen_pattern``;
      "unknown" when an unconverted agent leaves them undetermined (``regimen_dose_band``).
      With nothing converted the total is stored empty (unknown), never as 0 mg.
    - Intake flags and the setting recommendation (risk.md; ``clinical.risk``),
      judged as of the admission time so the record is reproducible.
    """
    listed = TABLES[table_id].factors if table_id in TABLES else {}
    convertible = [s for s in substances if s.agent in listed]
    regimen = convert_regimen([(s.agent, s.daily_dose_mg) for s in convertible], table_id)
    for row, conversion in zip(convertible, regimen.conversions, strict=True):
        row.diazepam_mg = conversion.diazepam_mg
        row.diazepam_range_low_mg, row.diazepam_range_high_mg = conversion.range_mg
    unconverted = [s for s in substances if s.agent not in listed]
    for row in unconverted:
        row.diazepam_mg = row.diazepam_range_low_mg = row.diazepam_range_high_mg = None

    total = regimen.total_diazepam_mg
    band = regimen_dose_band(total, any_unconverted=bool(unconverted))
    days, months = regimen_pattern(substances)
    risk = withdrawal_risk(days, months, band)
    if convertible:
        # With unconverted agents beside them this is the known part only ("at least").
        admission.diazepam_equivalent_mg = total
        admission.diazepam_range_low_mg, admission.diazepam_range_high_mg = (
            regimen.cross_table_range_mg
        )
    else:
        # Nothing converted: the dose is unknown, and an empty field cannot be read as 0 mg.
        admission.diazepam_equivalent_mg = None
        admission.diazepam_range_low_mg = admission.diazepam_range_high_mg = None
    admission.equivalence_table = regimen.table_id
    admission.equivalence_table_version = regimen.table_version
    admission.dose_band = str(band) if band is not None else DOSE_UNKNOWN
    admission.withdrawal_risk = str(risk) if risk is not None else DOSE_UNKNOWN
    ranked = sorted(convertible, key=lambda s: s.diazepam_mg or 0, reverse=True)
    admission.primary_agent = (ranked or list(substances))[0].agent if substances else ""

    facts = intake_facts(admission, substances=substances)
    flags = intake_flags(facts, as_of=admission.admitted_at)
    recommendation = setting_recommendation(facts)
    admission.intake_flags = [
        {"code": f.code, "level": str(f.level), "reason": f.reason, "source": f.source}
        for f in flags
    ]
    admission.setting_recommendation = {
        "setting": recommendation.setting,
        "reasons": list(recommendation.reasons),
        "sources": list(recommendation.sources),
    }
    admission.intake_basis = {
        "rules_version": RULES_VERSION,
        "flags_as_of": admission.admitted_at.isoformat(),
        "withdrawal_risk_days_per_week": days,
        "withdrawal_risk_duration_months": str(months),
        "withdrawal_risk_rule": "most frequent days per week and longest duration of any row",
        "max_table_spread": str(regimen.max_table_spread),
        "unconverted": [
            {"agent": s.agent_label, "reason": _no_conversion_reason(s, table_id)}
            for s in unconverted
        ],
    }


def _no_conversion_reason(row: SubstanceUse, table_id: str) -> str:
    if row.agent == SubstanceUse.OTHER:
        return NO_CONVERSION_ADVICE.capitalize() + "."
    return str(UnknownAgentError(row.agent, table_id))
