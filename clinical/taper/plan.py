"""Build a taper plan proposal: intake regimen -> conversion -> starting dose -> schedule.

Source: /work/shared/domain/tapering.md, rules version 1 (``rules.RULES_VERSION``), with the
conversion tables of equivalence.md (each result names its table id and version). Section 1
fixes the starting dose: sum of per-agent diazepam equivalents under the chosen table; above
the stabilisation cap (facility setting, default diazepam 80 mg/day, SA Health) propose the
cap; a chlordiazepoxide plan is diazepam x 2.5. Sections 2-3 (strategies, rounding) live in
``schedule`` and ``rounding``; the warnings of sections 1-4 in ``rules``. Section 5 needs a
digest of the plan's canonical content: ``canonical_json`` is what gets hashed.

Pure domain code: no Django, no clock (``start_date`` is a parameter), milligrams as Decimal.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from clinical.equivalence import (
    CHLORDIAZEPOXIDE_PER_DIAZEPAM,
    DEFAULT_TABLE_ID,
    EquivalenceError,
    RegimenConversion,
    UnknownAgentError,
    UnknownTableError,
    convert_regimen,
    to_target_agent,
)
from clinical.taper import rules
from clinical.taper.rounding import DispenseTotal, dispense_totals, format_mg
from clinical.taper.schedule import (
    INPATIENT,
    CustomStep,
    Dose,
    ParameterError,
    Params,
    Step,
    build_schedule,
)

TARGET_AGENTS = ("diazepam", "chlordiazepoxide")
# equivalence.md "Chlordiazepoxide": 25 mg chlordiazepoxide = 10 mg diazepam in every table.
TARGET_PER_DIAZEPAM = {"diazepam": Decimal(1), "chlordiazepoxide": CHLORDIAZEPOXIDE_PER_DIAZEPAM}


@dataclass(frozen=True)
class PlanRequest:
    """Everything a proposal depends on; ``agents`` are (agent, daily dose mg) of the intake.

    ``stabilisation_cap_mg`` is the facility setting in diazepam mg/day (default 80, tapering.md
    1.2). ``custom_steps`` are used by the `custom` strategy only, in the taper agent's mg.
    """

    agents: Sequence[tuple[str, Decimal]]
    start_date: date
    target_agent: str = "diazepam"
    table_id: str = DEFAULT_TABLE_ID
    strategy: str = INPATIENT
    params: Params | None = None
    age: int | None = None
    hepatic_impairment: bool = False
    epilepsy: bool = False
    withdrawal_seizures: bool = False
    stabilisation_cap_mg: Decimal = rules.DEFAULT_STABILISATION_CAP_MG
    custom_steps: Sequence[CustomStep] = ()
    # The first dose time on ``start_date`` (a plan signed late in the day starts later that
    # day); None: the day's first time. Earlier times of the start date are not scheduled.
    first_dose_time: str | None = None


@dataclass(frozen=True)
class PlanResult:
    """A proposal, with everything needed to reproduce and re-check it.

    ``starting_daily_mg`` is the first day's total in the taper agent (rounded to its step);
    ``violations`` are warning codes that need an override reason before signing.
    """

    request: PlanRequest
    table_id: str
    table_version: str
    conversion: RegimenConversion
    diazepam_equivalent_mg: Decimal
    capped: bool
    starting_daily_mg: Decimal
    steps: tuple[Step, ...]
    test_dose: Dose | None
    end_mg: Decimal
    hand_off_mg: Decimal | None
    dispense_totals: tuple[DispenseTotal, ...]
    warnings: tuple[rules.PlanWarning, ...]
    violations: tuple[str, ...]
    form: str
    rules_version: str = rules.RULES_VERSION


def _validate(request: PlanRequest) -> None:
    errors: list[tuple[str, str]] = []
    if not request.agents:
        errors.append(("agents", "Give at least one intake agent with its daily dose."))
    for i, item in enumerate(request.agents):
        agent, dose = item if isinstance(item, tuple) and len(item) == 2 else (None, None)
        if not isinstance(agent, str) or not agent.strip():
            errors.append((f"agents[{i}].agent", "Give the agent's name."))
        if not isinstance(dose, Decimal) or not dose.is_finite() or dose < 0:
            errors.append((f"agents[{i}].daily_dose_mg", "Must be a decimal number of mg >= 0."))
    if request.target_agent not in TARGET_AGENTS:
        errors.append(("target_agent", f"Must be one of: {', '.join(TARGET_AGENTS)}."))
    if not isinstance(request.start_date, date):
        errors.append(("start_date", "Must be a date."))
    cap = request.stabilisation_cap_mg
    if not isinstance(cap, Decimal) or not cap.is_finite() or cap <= 0:
        errors.append(("stabilisation_cap_mg", "Must be a decimal number of mg above 0."))
    if request.age is not None and (
        isinstance(request.age, bool) or not isinstance(request.age, int) or request.age < 0
    ):
        errors.append(("age", "Must be a whole number of years >= 0."))
    if errors:
        raise ParameterError(*errors[0], *errors[1:])


def _convert(request: PlanRequest) -> RegimenConversion:
    """The regimen conversion, its refusals turned into field errors for the API."""
    try:
        return convert_regimen(request.agents, request.table_id)
    except UnknownTableError as err:
        raise ParameterError("table_id", str(err)) from err
    except UnknownAgentError as err:
        names = [a.strip().lower() for a, _ in request.agents]
        index = names.index(err.agent) if err.agent in names else 0
        raise ParameterError(f"agents[{index}].agent", str(err)) from err
    except EquivalenceError as err:
        raise ParameterError("agents", str(err)) from err


def build_plan(request: PlanRequest) -> PlanResult:
    """Propose a plan for ``request``; raises ParameterError (field, message) on bad input."""
    _validate(request)
    conversion = _convert(request)
    equivalent = conversion.total_diazepam_mg
    if equivalent <= 0:
        raise ParameterError("agents", "The intake regimen adds up to 0 mg diazepam equivalent.")
    cap = request.stabilisation_cap_mg
    start_diazepam = min(equivalent, cap)
    ratio = TARGET_PER_DIAZEPAM[request.target_agent]
    schedule = build_schedule(
        request.strategy,
        request.params,
        agent=request.target_agent,
        starting_daily_mg=to_target_agent(start_diazepam, request.target_agent),
        start_date=request.start_date,
        target_per_diazepam=ratio,
        custom_steps=request.custom_steps,
        first_dose_time=request.first_dose_time,
    )
    steps = schedule.steps
    first_diazepam = steps[0].daily_total_mg / ratio
    warnings = (
        *rules.dose_warnings(max(equivalent, first_diazepam), cap),
        *rules.above_cap_warning(schedule, cap * ratio),
        *rules.rate_rule_violations(steps),
        *rules.inpatient_rate_violations(steps, schedule.formulation, ratio),
        *rules.limited_step_warnings(steps),
        *rules.schedule_info(schedule),
        *rules.patient_warnings(
            age=request.age,
            hepatic_impairment=request.hepatic_impairment,
            epilepsy=request.epilepsy,
            withdrawal_seizures=request.withdrawal_seizures,
            strategy=request.strategy,
            agents=[c.agent for c in conversion.conversions if c.daily_dose_mg > 0],
        ),
        *rules.conversion_warnings(conversion),
    )
    return PlanResult(
        request=request,
        table_id=conversion.table_id,
        table_version=conversion.table_version,
        conversion=conversion,
        diazepam_equivalent_mg=equivalent,
        capped=equivalent > cap,
        starting_daily_mg=steps[0].daily_total_mg,
        steps=steps,
        test_dose=schedule.test_dose,
        end_mg=schedule.end_mg,
        hand_off_mg=schedule.hand_off_mg,
        dispense_totals=dispense_totals(
            schedule.formulation, ((s.days, [d.mg for d in s.doses]) for s in steps)
        ),
        warnings=warnings,
        violations=rules.override_codes(warnings),
        form=schedule.formulation.form,
    )


def _plain(value: Any) -> Any:
    """JSON-ready form: Decimals as plain strings, dates ISO, dataclasses as dicts."""
    if isinstance(value, Decimal):
        return format_mg(value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _plain(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise TypeError(f"No canonical form for {type(value).__name__}")


def canonical_json(result: PlanResult) -> str:
    """The plan's canonical content for the signature digest (tapering.md 5).

    Every field of the result, request included; keys sorted, no whitespace, Decimals as
    normalised strings ("7.5", "80") so the same plan always gives the same bytes.
    """
    return json.dumps(_plain(result), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _range(pair: Sequence[Decimal]) -> list[str]:
    return [format_mg(pair[0]), format_mg(pair[1])]


def to_dict(result: PlanResult) -> dict[str, Any]:
    """The preview API shape; Decimals as strings, dates ISO."""
    return {
        "table": {"id": result.table_id, "version": result.table_version},
        "target_agent": result.request.target_agent,
        "strategy": result.request.strategy,
        "rules_version": result.rules_version,
        "conversions": [
            {
                "agent": c.agent,
                "daily_dose_mg": format_mg(c.daily_dose_mg),
                "diazepam_mg": format_mg(c.diazepam_mg),
                "range_mg": _range(c.range_mg),
                "other_tables": {t: _range(r) for t, r in sorted(c.other_tables.items())},
            }
            for c in result.conversion.conversions
        ],
        "diazepam_equivalent_mg": format_mg(result.diazepam_equivalent_mg),
        "starting_daily_mg": format_mg(result.starting_daily_mg),
        "steps": [
            {
                "start_date": s.start_date.isoformat(),
                "end_date": s.end_date.isoformat(),
                "daily_total_mg": format_mg(s.daily_total_mg),
                "unrounded_mg": format_mg(s.unrounded_mg),
                "doses": [
                    {"time": d.time, "mg": format_mg(d.mg), "units": _plain(d.units)}
                    for d in s.doses
                ],
                "note": s.note,
                "derivation": s.derivation,
                "limited_by_tablet_size": s.limited_by_tablet_size,
            }
            for s in result.steps
        ],
        "dispense_totals": [
            {
                "strength_mg": format_mg(t.strength_mg),
                "form": result.form,
                "count": format_mg(t.count),
                "whole_units": t.whole_units,
            }
            for t in result.dispense_totals
        ],
        "warnings": [
            {"code": w.code, "message": w.message, "source": w.source} for w in result.warnings
        ],
        "violations": list(result.violations),
        "first_dose_time": result.request.first_dose_time,
        # Shown on Today's doses on day 1, not only in the builder (tapering.md 2, SA Health).
        "test_dose": None
        if result.test_dose is None
        else {
            "time": result.test_dose.time,
            "mg": format_mg(result.test_dose.mg),
            "instruction": result.steps[0].note,
        },
    }
