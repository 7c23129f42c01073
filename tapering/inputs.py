"""Plan inputs as JSON: parse API/form data into a ``PlanRequest`` and store it back as JSON.

One parser serves the preview API, the plan API, the builder form and the stored plan
version, so a stored plan is rebuilt from exactly what the physician entered. Bad input is a
``ParameterError`` whose field names are the API's (``agents[0].daily_dose_mg``,
``params.reduction_percent``, ``table``), never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from clinical.taper.plan import TARGET_AGENTS, PlanRequest
from clinical.taper.rounding import format_mg
from clinical.taper.schedule import (
    CUSTOM,
    INPATIENT,
    OUTPATIENT,
    STRATEGIES,
    CustomParams,
    CustomStep,
    InpatientParams,
    OutpatientParams,
    ParameterError,
)

# The intake form's own bound (patients.SubstanceUse.daily_dose_mg <= 1000 mg); not clinical.
MAX_AGENT_DAILY_MG = Decimal(1000)
MAX_AGENTS = 8
MAX_CUSTOM_STEPS = 60
MAX_PLAN_DAYS = 400
_TOP_LEVEL = {
    "agents",
    "target_agent",
    "start_date",
    "age",
    "strategy",
    "custom_steps",
    "first_dose_time",
}


def default_table() -> str:
    return settings.EQUIVALENCE_DEFAULT_TABLE


def stabilisation_cap_mg() -> Decimal:
    """Facility maximum daily diazepam dose (tapering.md 1.2, default 80 mg/day, SA Health),
    setting ``TAPER_STABILISATION_CAP_MG``."""
    return Decimal(str(settings.TAPER_STABILISATION_CAP_MG))


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append((field, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ParameterError(*self.items[0], *self.items[1:])


def _decimal(errors: _Errors, field: str, value: Any, *, required: bool = True) -> Decimal | None:
    if value is None or value == "":
        if required:
            errors.add(field, "This field is required.")
        return None
    if isinstance(value, bool):
        errors.add(field, "Must be a number.")
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.add(field, f"Must be a number; got {value!r}.")
        return None
    if not number.is_finite():
        errors.add(field, "Must be a finite number.")
        return None
    return number


def _int(errors: _Errors, field: str, value: Any, *, required: bool = False) -> int | None:
    if value is None or value == "":
        if required:
            errors.add(field, "This field is required.")
        return None
    if isinstance(value, bool):
        errors.add(field, "Must be a whole number.")
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        errors.add(field, f"Must be a whole number; got {value!r}.")
        return None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _time_slots(errors: _Errors, field: str, value: Any) -> tuple[str, ...] | None:
    """Dose times as "HH:MM" labels: scheduled doses are stored as unit-local times of day."""
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",") if v.strip()]
    if not isinstance(value, list | tuple):
        errors.add(field, "Must be a list of times such as 08:00.")
        return None
    slots = []
    for item in value:
        try:
            slots.append(dt.datetime.strptime(str(item).strip(), "%H:%M").strftime("%H:%M"))
        except ValueError:
            errors.add(field, f"{item!r} is not a time of day such as 08:00.")
            return None
    if slots != sorted(slots):
        errors.add(field, "List the times in order through the day.")
    return tuple(slots)


def _outpatient(errors: _Errors, p: Mapping[str, Any], prefix: str) -> OutpatientParams:
    kwargs: dict[str, Any] = {}
    pct = _decimal(errors, f"{prefix}reduction_percent", p.get("reduction_percent"), required=False)
    if pct is not None:
        kwargs["reduction_percent"] = pct
    for name in ("interval_days", "doses_per_day"):
        number = _int(errors, f"{prefix}{name}", p.get(name))
        if number is not None:
            kwargs[name] = number
    slots = _time_slots(errors, f"{prefix}time_slots", p.get("time_slots"))
    if slots is not None:
        kwargs["time_slots"] = slots
    if "respect_rate_rule" in p:
        kwargs["respect_rate_rule"] = _bool(p["respect_rate_rule"])
    return OutpatientParams(**kwargs)


def _params(errors: _Errors, strategy: str, raw: Any) -> Any:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        errors.add("params", "Must be an object of strategy parameters.")
        return None
    pre = "params."
    if strategy == OUTPATIENT:
        return _outpatient(errors, raw, pre)
    slots = _time_slots(errors, f"{pre}time_slots", raw.get("time_slots"))
    if strategy == CUSTOM:
        kwargs: dict[str, Any] = {"apply_rate_rule": _bool(raw.get("apply_rate_rule", True))}
        if slots is not None:
            kwargs["time_slots"] = slots
        hand_off = _decimal(errors, f"{pre}hand_off_mg", raw.get("hand_off_mg"), required=False)
        kwargs["hand_off_mg"] = hand_off
        return CustomParams(**kwargs)
    kwargs = {}
    days = _int(errors, f"{pre}stabilisation_days", raw.get("stabilisation_days"))
    if days is not None:
        kwargs["stabilisation_days"] = days
    for name in ("reduction_percent", "reduction_mg_per_day", "hand_off_mg"):
        value = _decimal(errors, f"{pre}{name}", raw.get(name), required=False)
        if value is not None:
            kwargs[name] = value
    if slots is not None:
        kwargs["time_slots"] = slots
    cont = raw.get("continuation")
    if cont:
        if isinstance(cont, Mapping):
            kwargs["continuation"] = _outpatient(errors, cont, f"{pre}continuation.")
        else:
            errors.add(f"{pre}continuation", "Must be an object of outpatient parameters.")
    return InpatientParams(**kwargs)


def _agents(errors: _Errors, raw: Any) -> list[tuple[str, Decimal]]:
    if not isinstance(raw, list) or not raw:
        errors.add("agents", "Give at least one intake agent with its daily dose.")
        return []
    if len(raw) > MAX_AGENTS:
        errors.add("agents", f"At most {MAX_AGENTS} agents.")
        return []
    agents = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors.add(f"agents[{i}]", "Must be an object with agent and daily_dose_mg.")
            continue
        name = str(item.get("agent") or "").strip().lower()
        if not name:
            errors.add(f"agents[{i}].agent", "Give the agent's name.")
        field = f"agents[{i}].daily_dose_mg"
        dose = _decimal(errors, field, item.get("daily_dose_mg"))
        if dose is not None and not Decimal(0) < dose <= MAX_AGENT_DAILY_MG:
            errors.add(field, f"Must be more than 0 and at most {MAX_AGENT_DAILY_MG} mg/day.")
            dose = None
        if name and dose is not None:
            agents.append((name, dose))
    return agents


def _custom_steps(errors: _Errors, raw: Any) -> list[CustomStep]:
    if not isinstance(raw, list):
        errors.add("custom_steps", "Must be a list of {days, daily_total_mg, note}.")
        return []
    if len(raw) > MAX_CUSTOM_STEPS:
        errors.add("custom_steps", f"At most {MAX_CUSTOM_STEPS} steps.")
        return []
    steps, total_days = [], 0
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors.add(f"custom_steps[{i}]", "Must be an object with days and daily_total_mg.")
            continue
        days = _int(errors, f"custom_steps[{i}].days", item.get("days"), required=True)
        mg = _decimal(errors, f"custom_steps[{i}].daily_total_mg", item.get("daily_total_mg"))
        if days is not None and mg is not None:
            total_days += max(days, 0)
            steps.append(CustomStep(days, mg, str(item.get("note") or "")[:200]))
    if total_days > MAX_PLAN_DAYS:
        errors.add("custom_steps", f"A plan lasts at most {MAX_PLAN_DAYS} days.")
    return steps


def request_from_data(data: Any, *, cap_mg: Decimal | None = None) -> PlanRequest:
    """A ``PlanRequest`` from API-shaped data; raises ParameterError with API field names.

    The stabilisation cap is the facility setting, except when a stored plan is rebuilt
    (``cap_mg``): then the cap it was built with, so it reproduces exactly.
    """
    if not isinstance(data, Mapping):
        raise ParameterError("non_field_errors", "Send a JSON object.")
    errors = _Errors()
    agents = _agents(errors, data.get("agents"))
    target = str(data.get("target_agent") or "diazepam").strip().lower()
    if target not in TARGET_AGENTS:
        errors.add("target_agent", f"Must be one of: {', '.join(TARGET_AGENTS)}.")
    strategy = str(data.get("strategy") or INPATIENT).strip().lower()
    if strategy not in STRATEGIES:
        errors.add("strategy", f"Must be one of: {', '.join(STRATEGIES)}.")
    start = None
    raw_start = data.get("start_date")
    if not raw_start:
        errors.add("start_date", "This field is required (YYYY-MM-DD).")
    else:
        try:
            start = dt.date.fromisoformat(str(raw_start))
        except ValueError:
            errors.add("start_date", f"Must be a date as YYYY-MM-DD; got {raw_start!r}.")
    age = _int(errors, "age", data.get("age"))
    if age is not None and not 0 <= age <= 130:
        errors.add("age", "Must be a whole number of years from 0 to 130.")
    params = _params(errors, strategy, data.get("params")) if strategy in STRATEGIES else None
    custom: list[CustomStep] = []
    if strategy == CUSTOM:
        custom = _custom_steps(errors, data.get("custom_steps") or [])
    first_time = data.get("first_dose_time") or None
    if first_time is not None:
        first_time = str(first_time).strip()
        try:
            first_time = dt.time.fromisoformat(first_time).strftime("%H:%M")
        except ValueError:
            errors.add("first_dose_time", f"Must be a time as HH:MM; got {first_time!r}.")
    errors.raise_if_any()
    assert start is not None
    return PlanRequest(
        agents=tuple(agents),
        start_date=start,
        target_agent=target,
        table_id=str(data.get("table") or default_table()),
        strategy=strategy,
        params=params,
        age=age,
        hepatic_impairment=_bool(data.get("hepatic_impairment", False)),
        epilepsy=_bool(data.get("epilepsy", False)),
        withdrawal_seizures=_bool(data.get("withdrawal_seizures", False)),
        stabilisation_cap_mg=cap_mg if cap_mg is not None else stabilisation_cap_mg(),
        custom_steps=tuple(custom),
        first_dose_time=first_time,
    )


def api_field(field: str) -> str:
    """Domain field names as the API names them (``table_id`` is ``table``, params prefixed)."""
    head = field.split("[")[0].split(".")[0]
    if field == "table_id":
        return "table"
    if head in _TOP_LEVEL or head in ("params", "non_field_errors", "stabilisation_cap_mg"):
        return field
    return f"params.{field}"


def field_errors(err: ParameterError) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for field, messages in err.as_dict().items():
        out.setdefault(api_field(field), []).extend(messages)
    return out


def _plain_params(params: Any) -> dict[str, Any] | None:
    if params is None:
        return None
    out: dict[str, Any] = {}
    for name, value in vars(params).items():
        if isinstance(value, Decimal):
            out[name] = format_mg(value)
        elif isinstance(value, tuple):
            out[name] = list(value)
        elif isinstance(value, OutpatientParams):
            out[name] = _plain_params(value)
        else:
            out[name] = value
    return out


def request_to_data(request: PlanRequest) -> dict[str, Any]:
    """The stored inputs of a plan version; ``request_from_data`` reads it back unchanged."""
    return {
        "agents": [{"agent": a, "daily_dose_mg": format_mg(d)} for a, d in request.agents],
        "target_agent": request.target_agent,
        "table": request.table_id,
        "strategy": request.strategy,
        "params": _plain_params(request.params),
        "start_date": request.start_date.isoformat(),
        "age": request.age,
        "hepatic_impairment": request.hepatic_impairment,
        "epilepsy": request.epilepsy,
        "withdrawal_seizures": request.withdrawal_seizures,
        "stabilisation_cap_mg": format_mg(request.stabilisation_cap_mg),
        "custom_steps": [
            {"days": s.days, "daily_total_mg": format_mg(s.daily_total_mg), "note": s.note}
            for s in request.custom_steps
        ],
        "first_dose_time": request.first_dose_time,
    }


def request_from_stored(data: Mapping[str, Any]) -> PlanRequest:
    """Rebuild the request of a stored plan version, with the cap it was built with."""
    return request_from_data(data, cap_mg=Decimal(str(data["stabilisation_cap_mg"])))
