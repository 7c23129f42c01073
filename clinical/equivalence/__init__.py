"""Benzodiazepine dose equivalence, half-lives, daily-dose bands and withdrawal risk.

Source: /work/shared/domain/equivalence.md (the project's clinical source of truth), which
transcribes:
- 2025 Joint Guideline (Joint Clinical Practice Guideline on Benzodiazepine Tapering, ASAM and
  nine societies, J Gen Intern Med 2025), Table 7 (Ashton 2002 and VA/DoD 2021 columns) and
  Table 2 (daily-dose bands and withdrawal-risk matrix);
- WHO 2009 Clinical Guidelines for Withdrawal Management and Treatment of Drug Dependence in
  Closed Settings, Table 8;
- NHS Scotland Right Decisions, "switching to diazepam".

Module version: 2 (1: equivalence.md as of the first release; 2: a regimen with an agent that
is not converted has no dose band unless its known part is already high, and its withdrawal
risk is unknown where the Table 2 matrix depends on the band: ``regimen_dose_band``). Each
table carries its own ``version`` string, stored with every conversion so a signed plan can be
reproduced; a changed table must get a new version rather than an edited one.

Pure domain code: no Django, no clock, milligrams as ``Decimal``.

The package, one topic a module: ``tables`` (the equivalence tables and their errors),
``convert`` (agent and regimen to diazepam, diazepam to the taper agent), ``half_lives``
(half-lives, short-acting agents) and ``bands`` (Table 2 dose bands and withdrawal risk).
Import the public names from ``clinical.equivalence``.
"""

from clinical.equivalence.bands import (
    LOW_BAND_MAX_MG,
    MODERATE_BAND_MAX_MG,
    WITHDRAWAL_RISK_LABELS,
    DoseBand,
    WithdrawalRisk,
    dose_band,
    regimen_dose_band,
    withdrawal_risk,
)
from clinical.equivalence.convert import (
    Conversion,
    RegimenConversion,
    convert,
    convert_regimen,
    to_target_agent,
)
from clinical.equivalence.half_lives import HALF_LIVES, SHORT_ACTING, HalfLife, is_short_acting
from clinical.equivalence.tables import (
    AGENTS,
    CHLORDIAZEPOXIDE_PER_DIAZEPAM,
    DEFAULT_TABLE_ID,
    DIAZEPAM_REFERENCE_MG,
    TABLE_CHOICES,
    TABLES,
    EquivalenceError,
    EquivalenceTable,
    Factor,
    UnknownAgentError,
    UnknownTableError,
)

__all__ = [
    "AGENTS",
    "CHLORDIAZEPOXIDE_PER_DIAZEPAM",
    "DEFAULT_TABLE_ID",
    "DIAZEPAM_REFERENCE_MG",
    "HALF_LIVES",
    "LOW_BAND_MAX_MG",
    "MODERATE_BAND_MAX_MG",
    "SHORT_ACTING",
    "TABLES",
    "TABLE_CHOICES",
    "WITHDRAWAL_RISK_LABELS",
    "Conversion",
    "DoseBand",
    "EquivalenceError",
    "EquivalenceTable",
    "Factor",
    "HalfLife",
    "RegimenConversion",
    "UnknownAgentError",
    "UnknownTableError",
    "WithdrawalRisk",
    "convert",
    "convert_regimen",
    "dose_band",
    "is_short_acting",
    "regimen_dose_band",
    "to_target_agent",
    "withdrawal_risk",
]
