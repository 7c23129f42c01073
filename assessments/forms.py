"""The bedside CIWA-B form. It only shapes input; the service checks it (inputs.validate)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from assessments.inputs import OBSERVATIONS, AssessmentInput
from assessments.limits import VITAL_LIMITS
from clinical.ciwa_b import (
    BAND_LABELS,
    ITEM_COUNT,
    ITEMS,
    SEDATION_LEVELS,
    TOTAL_MAX,
    UNABLE_REASON_LABELS,
    Rater,
    band_for_total,
)
from cnt_detox.core.forms import ErrorFocusMixin

OBSERVATION_LABELS = {
    "seizure": "Seizure since the last assessment",
    "hallucinations": "New hallucinations (seeing, hearing or feeling things)",
    "confusion": "Confused or disoriented",
    "suicidal_thoughts": "Suicidal thoughts",
}


def band_bounds() -> str:
    """ "upper:band:Label,..." for the page script, derived from the domain (ciwa-b.md)."""
    parts: list[str] = []
    for total in range(TOTAL_MAX + 1):
        band = band_for_total(total)
        if total == TOTAL_MAX or band_for_total(total + 1) != band:
            parts.append(f"{total}:{band}:{BAND_LABELS[band]}")
    return ",".join(parts)


def _vital(name: str, decimal: bool = False) -> forms.Field:
    limit = VITAL_LIMITS[name]
    # min/max only as browser hints; the service gives the real message.
    attrs = {"min": str(limit.low), "max": str(limit.high), "inputmode": "numeric"}
    if decimal:
        attrs.update(step="0.1", inputmode="decimal")
        return forms.DecimalField(
            label=f"{limit.label} ({limit.unit})",
            required=False,
            max_digits=5,
            decimal_places=1,
            widget=forms.NumberInput(attrs=attrs),
        )
    return forms.IntegerField(
        label=f"{limit.label} ({limit.unit})", required=False, widget=forms.NumberInput(attrs=attrs)
    )


class AssessmentForm(ErrorFocusMixin, forms.Form):
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    mode = forms.ChoiceField(
        choices=[("scored", "scored"), ("unable", "unable")], widget=forms.HiddenInput
    )
    assessed_at = forms.DateTimeField(
        label="Assessed at",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave blank if you assessed just now. For a late entry, give when you assessed.",
    )
    # Set by the service worker on an entry it queued while offline: when Save was pressed.
    recorded_offline_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    unable_reason = forms.ChoiceField(
        label="Why CIWA-B could not be done",
        required=False,
        choices=[(str(k), v) for k, v in UNABLE_REASON_LABELS.items()],
        widget=forms.RadioSelect,
    )
    heart_rate = _vital("heart_rate")
    systolic_bp = _vital("systolic_bp")
    diastolic_bp = _vital("diastolic_bp")
    temperature_c = _vital("temperature_c", decimal=True)
    respiratory_rate = _vital("respiratory_rate")
    spo2 = _vital("spo2")
    sedation_level = forms.TypedChoiceField(
        label="Sedation level",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(k, f"{k}: {v}") for k, v in SEDATION_LEVELS.items()],
        widget=forms.RadioSelect,
    )
    seizure = forms.BooleanField(required=False, label=OBSERVATION_LABELS["seizure"])
    hallucinations = forms.BooleanField(required=False, label=OBSERVATION_LABELS["hallucinations"])
    confusion = forms.BooleanField(required=False, label=OBSERVATION_LABELS["confusion"])
    suicidal_thoughts = forms.BooleanField(
        required=False, label=OBSERVATION_LABELS["suicidal_thoughts"]
    )
    notes = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in ITEMS:
            self.fields[f"item_{item.number}"] = forms.TypedChoiceField(
                label=f"{item.number}. {item.label}",
                required=False,
                coerce=int,
                empty_value=None,
                choices=[(score, anchor) for score, anchor in enumerate(item.anchors)],
                widget=forms.RadioSelect,
            )

    @property
    def unable(self) -> bool:
        value = self["mode"].value()
        return value == "unable"

    def item_rows(self) -> list[dict[str, Any]]:
        """What the template draws for each item: its question, rater and anchor choices."""
        rows = []
        for item in ITEMS:
            bound = self[f"item_{item.number}"]
            rows.append(
                {
                    "item": item,
                    "field": bound,
                    "observed": item.rater == Rater.NURSE,
                    "value": str(bound.value()) if bound.value() not in (None, "") else "",
                    "anchors": [(str(s), a) for s, a in enumerate(item.anchors)],
                }
            )
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("mode") == "scored":
            # Mark each missing item on the page, so the nurse can see which one to tap.
            for number in range(1, ITEM_COUNT + 1):
                if data.get(f"item_{number}") is None:
                    self.add_error(f"item_{number}", "Choose a score for this item.")
        elif data.get("mode") == "unable" and not data.get("unable_reason"):
            self.add_error("unable_reason", "Choose why CIWA-B could not be done.")
        return data

    def to_entry(self) -> AssessmentInput:
        data = self.cleaned_data
        vitals: dict[str, int | Decimal | None] = {
            name: data.get(name) for name in VITAL_LIMITS if data.get(name) is not None
        }
        unable = data["mode"] == "unable"
        return AssessmentInput(
            assessed_at=data.get("assessed_at"),
            items=None if unable else [data.get(f"item_{n}") for n in range(1, ITEM_COUNT + 1)],
            unable_reason=data.get("unable_reason") if unable else None,
            vitals=vitals,
            sedation_level=data.get("sedation_level"),
            notes=data.get("notes", ""),
            recorded_offline_at=data.get("recorded_offline_at"),
            **{name: bool(data.get(name)) for name in OBSERVATIONS},
        )


class EnteredInErrorForm(ErrorFocusMixin, forms.Form):
    reason = forms.CharField(
        label="Why is this entry wrong?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: wrong patient, wrong time. "
        "The entry stays on record, struck through.",
    )
