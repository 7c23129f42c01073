"""Taper strategies (inpatient, outpatient, custom) turned into a dated schedule of steps.

Source: /work/shared/domain/tapering.md (tapering.md, rules version 1; see
``clinical.taper.rules.RULES_VERSION``), section 2 "Strategies" and section 3 "Formulations and
rounding". Every clinical number below is quoted from there with the guideline it names;
anything tapering.md does not fix is marked "not a published threshold".

The schedule is computed in the taper agent's mg: a chlordiazepoxide schedule is the
diazepam-equivalent curve x 2.5 (equivalence.md "Chlordiazepoxide"), rounded to capsules.
Parameters that tapering.md states in diazepam mg (hand-off dose, fixed mg/day reduction) are
given in diazepam mg and scaled by ``target_per_diazepam``.

Pure domain code: no Django, no clock (``start_date`` is a parameter), milligrams as Decimal.

The package: ``params`` (strategy names, limits), ``model`` (doses, steps, checks),
``strategies`` (the three curves), ``build`` (``build_schedule``).
"""

from clinical.taper.schedule.build import (
    build_schedule,
    doses_for,
)
from clinical.taper.schedule.model import (
    Dose,
    Schedule,
    Step,
    is_limited_by_tablet_size,
    trailing_window_kept,
)
from clinical.taper.schedule.params import (
    BID_TIMES,
    CUSTOM,
    DAILY_TIMES,
    DEFAULT_TIMES,
    HAND_OFF_MAX_MG,
    INPATIENT,
    INPATIENT_DAILY_PERCENT,
    INPATIENT_STABILISATION_DAYS,
    OUTPATIENT,
    OUTPATIENT_INTERVAL_DAYS,
    OUTPATIENT_REDUCTION_PERCENT,
    PARAMS_CLASSES,
    QID_TIMES,
    RATE_RULE_MIN_KEPT,
    RATE_RULE_WINDOW_DAYS,
    STRATEGIES,
    CustomParams,
    CustomStep,
    InpatientParams,
    OutpatientParams,
    ParameterError,
    Params,
)

__all__ = [
    "BID_TIMES",
    "CUSTOM",
    "DAILY_TIMES",
    "DEFAULT_TIMES",
    "HAND_OFF_MAX_MG",
    "INPATIENT",
    "INPATIENT_DAILY_PERCENT",
    "INPATIENT_STABILISATION_DAYS",
    "OUTPATIENT",
    "OUTPATIENT_INTERVAL_DAYS",
    "OUTPATIENT_REDUCTION_PERCENT",
    "PARAMS_CLASSES",
    "QID_TIMES",
    "RATE_RULE_MIN_KEPT",
    "RATE_RULE_WINDOW_DAYS",
    "STRATEGIES",
    "CustomParams",
    "CustomStep",
    "Dose",
    "InpatientParams",
    "OutpatientParams",
    "ParameterError",
    "Params",
    "Schedule",
    "Step",
    "build_schedule",
    "doses_for",
    "is_limited_by_tablet_size",
    "trailing_window_kept",
]
