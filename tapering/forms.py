"""Builder, signing and dose forms. The builder form only collects text: the same parser as
the API (tapering.inputs) validates it, and its field errors are put back on the form fields.
"""

from __future__ import annotations

from typing import Any

from django import forms

from clinical.equivalence import AGENTS, TABLE_CHOICES
from clinical.taper.rounding import format_mg
from clinical.taper.rules import INPATIENT_MAX_DAILY_DIAZEPAM_MG, INPATIENT_MAX_DAILY_PERCENT
from clinical.taper.schedule import (
    HAND_OFF_MAX_MG,
    INPATIENT_DAILY_PERCENT,
    INPATIENT_STABILISATION_DAYS,
    OUTPATIENT_INTERVAL_DAYS,
    OUTPATIENT_REDUCTION_PERCENT,
    QID_TIMES,
    RATE_RULE_MIN_KEPT,
    RATE_RULE_WINDOW_DAYS,
    InpatientParams,
    OutpatientParams,
)
from cnt_detox.core.forms import ErrorFocusMixin
from tapering.models import HeldReason, Outcome

AGENT_ROWS = 4
_AGENT_CHOICES = [("", "(none)")] + [(a, a.capitalize()) for a in AGENTS]

# The builder's limits and defaults, written from clinical.taper (never typed here), so the
# page always says what the rules check.
_STAB_LOW, _STAB_HIGH = INPATIENT_STABILISATION_DAYS
_OUT_PCT_LOW, _OUT_PCT_HIGH = (format_mg(p) for p in OUTPATIENT_REDUCTION_PERCENT)
_OUT_DAYS_LOW, _OUT_DAYS_HIGH = OUTPATIENT_INTERVAL_DAYS
_RATE_RULE_PERCENT = format_mg((1 - RATE_RULE_MIN_KEPT) * 100)
_RATE_RULE_WEEKS = RATE_RULE_WINDOW_DAYS // 7


def _text(label: str, *, help_text: str = "", input_type: str = "text", **attrs: Any) -> Any:
    widget = forms.TextInput(attrs={"type": input_type, **attrs})
    return forms.CharField(label=label, required=False, help_text=help_text, widget=widget)


def _number(label: str, help_text: str = "", step: str = "any") -> Any:
    return _text(label, help_text=help_text, input_type="number", step=step, inputmode="decimal")


class BuilderForm(ErrorFocusMixin, forms.Form):
    target_agent = forms.ChoiceField(
        label="Taper with",
        choices=[
            ("diazepam", "Diazepam tablets"),
            ("chlordiazepoxide", "Chlordiazepoxide capsules"),
        ],
    )
    table = forms.ChoiceField(label="Equivalence table", choices=TABLE_CHOICES)
    strategy = forms.ChoiceField(
        label="Strategy",
        choices=[
            ("inpatient", "Inpatient detox (daily reductions)"),
            ("outpatient", "Outpatient (gradual, every N days)"),
            ("custom", "Custom (steps set by hand)"),
        ],
    )
    start_date = _text("Start date", input_type="date")
    age = _number("Age (years)", step="1")
    hepatic_impairment = forms.BooleanField(label="Hepatic impairment", required=False)
    epilepsy = forms.BooleanField(label="Epilepsy or seizure disorder", required=False)
    withdrawal_seizures = forms.BooleanField(
        label="Seizures in a previous withdrawal", required=False
    )

    stabilisation_days = _number(
        f"Stabilisation days ({_STAB_LOW}-{_STAB_HIGH})",
        f"eTG allows {_STAB_LOW}-{_STAB_HIGH}; default {InpatientParams.stabilisation_days}.",
        "1",
    )
    reduction_percent = _number(
        "Daily reduction, % of the stabilisation dose",
        f"Default {format_mg(INPATIENT_DAILY_PERCENT)}% (eTG). Limit: "
        f"{format_mg(INPATIENT_MAX_DAILY_PERCENT)}% of the stabilisation dose a day (eTG, "
        "tapering.md). Or give mg/day below.",
    )
    reduction_mg_per_day = _number(
        "Or daily reduction, diazepam mg/day",
        f"e.g. {format_mg(INPATIENT_MAX_DAILY_DIAZEPAM_MG)} (SA Health). Limit: "
        f"{format_mg(INPATIENT_MAX_DAILY_DIAZEPAM_MG)} mg/day diazepam (SA Health, tapering.md). "
        "Faster than either limit needs an override reason to sign.",
    )
    hand_off_mg = _number(
        f"Hand-off dose, diazepam mg/day (0-{format_mg(HAND_OFF_MAX_MG)})",
        f"Default {format_mg(InpatientParams.hand_off_mg)} (eTG); 0 tapers to zero.",
    )
    continue_outpatient = forms.BooleanField(
        label="Continue with an outpatient taper after the hand-off", required=False
    )

    out_reduction_percent = _number(
        f"Reduce by % every interval ({_OUT_PCT_LOW}-{_OUT_PCT_HIGH})",
        f"Default {format_mg(OutpatientParams.reduction_percent)}.",
    )
    out_interval_days = _number(
        f"Interval, days ({_OUT_DAYS_LOW}-{_OUT_DAYS_HIGH})",
        f"Default {OutpatientParams.interval_days}.",
        "1",
    )
    out_doses_per_day = forms.ChoiceField(
        label="Doses per day",
        choices=[("2", "2 (08:00, 20:00)"), ("1", "1 (08:00)")],
        required=False,
    )

    custom_steps = forms.CharField(
        label="Steps, one per line: days, mg per day, note",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 6, "placeholder": "3, 40\n3, 30, check sedation\n1, 0"}
        ),
        help_text="In the taper agent's mg. Totals never increase; the last step is 0 "
        "(or the hand-off dose).",
    )
    custom_times = _text("Dose times", help_text="e.g. 08:00, 12:00, 17:00, 21:00")
    custom_hand_off_mg = _number("Custom plan ends at hand-off, diazepam mg/day (optional)")
    apply_rate_rule = forms.BooleanField(
        label=f"Check the outpatient {_RATE_RULE_PERCENT}%-per-{_RATE_RULE_WEEKS}-weeks rule",
        required=False,
        initial=True,
    )
    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(AGENT_ROWS):
            self.fields[f"agent_{i}"] = forms.ChoiceField(
                label=f"Agent {i + 1}", choices=_AGENT_CHOICES, required=False
            )
            self.fields[f"dose_{i}"] = _number(f"Agent {i + 1} mg per day")

    def agent_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"agent_{i}"], self[f"dose_{i}"]) for i in range(AGENT_ROWS)]

    def to_data(self) -> dict[str, Any]:
        """API-shaped inputs (tapering.inputs.request_from_data reads them)."""
        d = self.cleaned_data
        agents = [
            {"agent": d[f"agent_{i}"], "daily_dose_mg": d[f"dose_{i}"]}
            for i in range(AGENT_ROWS)
            if d.get(f"agent_{i}") or d.get(f"dose_{i}")
        ]
        strategy = d.get("strategy") or "inpatient"
        params: dict[str, Any]
        custom: list[dict[str, Any]] = []
        if strategy == "inpatient":
            params = {
                k: d[k]
                for k in (
                    "stabilisation_days",
                    "reduction_percent",
                    "reduction_mg_per_day",
                    "hand_off_mg",
                )
                if d.get(k)
            }
            if d.get("continue_outpatient"):
                params["continuation"] = self._outpatient(d)
        elif strategy == "outpatient":
            params = self._outpatient(d)
        else:
            params = {
                "time_slots": d.get("custom_times") or list(QID_TIMES),
                "hand_off_mg": d.get("custom_hand_off_mg") or None,
                "apply_rate_rule": bool(d.get("apply_rate_rule")),
            }
            custom = self._custom_steps(d.get("custom_steps") or "")
        return {
            "agents": agents,
            "target_agent": d.get("target_agent") or "diazepam",
            "table": d.get("table") or None,
            "strategy": strategy,
            "params": params,
            "custom_steps": custom,
            "start_date": d.get("start_date"),
            "age": d.get("age") or None,
            "hepatic_impairment": d.get("hepatic_impairment", False),
            "epilepsy": d.get("epilepsy", False),
            "withdrawal_seizures": d.get("withdrawal_seizures", False),
        }

    @staticmethod
    def _outpatient(d: dict[str, Any]) -> dict[str, Any]:
        out = {
            "reduction_percent": d.get("out_reduction_percent"),
            "interval_days": d.get("out_interval_days"),
            "doses_per_day": d.get("out_doses_per_day"),
        }
        return {k: v for k, v in out.items() if v}

    @staticmethod
    def _custom_steps(text: str) -> list[dict[str, Any]]:
        steps = []
        for line in text.splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(",", 2)]
            steps.append(
                {
                    "days": parts[0],
                    "daily_total_mg": parts[1] if len(parts) > 1 else "",
                    "note": parts[2] if len(parts) > 2 else "",
                }
            )
        return steps

    def add_api_errors(self, fields: dict[str, list[str]]) -> None:
        """Put the parser's API field errors on the matching form fields."""
        strategy = self.cleaned_data.get("strategy")
        for name, messages in fields.items():
            target = self._form_field(name, strategy)
            for message in messages:
                label = "" if target else f"{name}: "
                self.add_error(target, f"{label}{message}")

    def _form_field(self, name: str, strategy: str | None) -> str | None:
        if name.startswith("agents["):
            index = name[len("agents[") : name.index("]")]
            kind = "dose" if name.endswith("daily_dose_mg") else "agent"
            return f"{kind}_{index}" if index.isdigit() and int(index) < AGENT_ROWS else None
        if name.startswith("custom_steps"):
            return "custom_steps"
        if name in ("target_agent", "table", "strategy", "start_date", "age"):
            return name
        if name.startswith("params."):
            key = name.split(".")[-1]
            if strategy == "custom":
                mapping = {"time_slots": "custom_times", "hand_off_mg": "custom_hand_off_mg"}
                return mapping.get(key)
            if strategy == "outpatient" or ".continuation." in name:
                return f"out_{key}" if f"out_{key}" in self.fields else None
            return key if key in self.fields else None
        return None


def initial_from_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Builder form initial values from stored (or prefilled) API-shaped inputs."""
    initial: dict[str, Any] = {
        k: inputs.get(k)
        for k in (
            "target_agent",
            "table",
            "strategy",
            "start_date",
            "age",
            "hepatic_impairment",
            "epilepsy",
            "withdrawal_seizures",
        )
        if inputs.get(k) is not None
    }
    for i, agent in enumerate(inputs.get("agents", [])[:AGENT_ROWS]):
        initial[f"agent_{i}"] = agent["agent"]
        initial[f"dose_{i}"] = agent["daily_dose_mg"]
    params = inputs.get("params") or {}
    strategy = inputs.get("strategy")
    outpatient: dict[str, Any] = params if strategy == "outpatient" else {}
    if strategy == "inpatient":
        for k in ("stabilisation_days", "reduction_percent", "reduction_mg_per_day", "hand_off_mg"):
            if params.get(k) is not None:
                initial[k] = params[k]
        if params.get("continuation"):
            initial["continue_outpatient"] = True
            outpatient = params["continuation"]
    for k in ("reduction_percent", "interval_days", "doses_per_day"):
        if outpatient.get(k) is not None:
            initial[f"out_{k}"] = outpatient[k]
    if strategy == "custom":
        initial["custom_times"] = ", ".join(params.get("time_slots") or QID_TIMES)
        initial["custom_hand_off_mg"] = params.get("hand_off_mg") or ""
        initial["apply_rate_rule"] = params.get("apply_rate_rule", True)
        initial["custom_steps"] = steps_text(inputs.get("custom_steps") or [])
    return initial


def steps_text(steps: list[dict[str, Any]]) -> str:
    lines = []
    for s in steps:
        parts = [str(s["days"]), format_mg_text(s["daily_total_mg"])]
        if s.get("note"):
            parts.append(s["note"])
        lines.append(", ".join(parts))
    return "\n".join(lines)


def format_mg_text(value: Any) -> str:
    from decimal import Decimal

    return format_mg(Decimal(str(value)))


class SignForm(ErrorFocusMixin, forms.Form):
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_code = forms.CharField(
        label="One-time code (if you use two-factor login)",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    override_reason = forms.CharField(
        label="Override reason (needed when a rule is broken)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput)
    start_date = forms.DateField(
        label="Start date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Default: the day of the next dose time from now.",
    )
    first_dose_time = forms.ChoiceField(
        label="First dose time",
        required=False,
        help_text="Earlier dose times of the start date are not scheduled. Default: the next "
        "dose time from now.",
    )

    def __init__(self, *args: Any, times: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_dose_time"].choices = [(t, t) for t in times]


class ReasonForm(ErrorFocusMixin, forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}))


class DoseForm(ErrorFocusMixin, forms.Form):
    dose = forms.UUIDField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label="Outcome", choices=Outcome.choices, widget=forms.RadioSelect)
    held_reason = forms.ChoiceField(
        label="Reason held",
        choices=[("", "(choose if held)"), *HeldReason.choices],
        required=False,
    )
    reason_text = forms.CharField(label="Details (for 'Other')", required=False)
    occurred_time = forms.TimeField(
        label="Time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Leave empty for now.",
    )
    # Made when the page is drawn (and again by the page script on a page shown from the
    # device's offline copy): a resend of the same entry records the dose once.
    idempotency_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # Set by the service worker on an entry it queued while offline: when Save was pressed.
    recorded_offline_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)


class InErrorForm(ErrorFocusMixin, forms.Form):
    record = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Why is this record wrong?")


class SecondSignForm(ErrorFocusMixin, forms.Form):
    """The addiction specialist's second signature: password, and code when enrolled."""

    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_code = forms.CharField(
        label="One-time code (if you use two-factor login)",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
