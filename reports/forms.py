"""Parameters of the census and period reports, shared by the pages and the API.

A unit id that is well formed but not one of the user's units raises Http404 (as for any
other unit's record); a malformed one is a field error (400).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.utils import timezone

from patients.models import Unit
from patients.selectors import unit_for_user, units_for_user

FORMAT_CHOICES = [("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("json", "JSON")]
ROWS_CHOICES = [("admissions", "One row per stay"), ("assessments", "One row per assessment")]
# Longest period one request may cover; longer reports are split by the admin.
MAX_PERIOD_DAYS = 366


class _UnitForm(forms.Form):
    unit = forms.CharField(required=False, widget=forms.Select)

    def __init__(self, *args: Any, user: Any, formats: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.units = list(units_for_user(user).order_by("name"))
        self.fields["unit"].widget.choices = self.unit_choices()
        self.default_format = formats[0]
        self.fields["format"] = forms.ChoiceField(
            choices=[c for c in FORMAT_CHOICES if c[0] in formats],
            initial=formats[0],
            required=False,
        )

    def unit_choices(self) -> list[tuple[str, str]]:
        return [("", "All my units")] + [(str(u.public_id), u.name) for u in self.units]

    def clean_unit(self) -> Unit | None:
        value = self.cleaned_data.get("unit") or ""
        if not value:
            return None
        try:
            uuid.UUID(value)
        except ValueError:
            raise forms.ValidationError(
                "This is not a unit id; pick a unit from the list."
            ) from None
        return unit_for_user(self.user, value)

    def clean_format(self) -> str:
        return self.cleaned_data.get("format") or self.default_format

    def tz(self) -> Any:
        unit = self.cleaned_data.get("unit")
        return unit.tz if unit else dt.UTC


def parse_when(text: str, tz: Any) -> dt.datetime:
    """ISO 8601 date and time; without an offset it is read in ``tz`` (the unit's zone)."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise forms.ValidationError(
            "Enter a date and time such as 2025-03-17T14:30 (unit time) or 2025-03-17T14:30Z."
        ) from None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


class CensusForm(_UnitForm):
    at = forms.CharField(
        required=False,
        label="Census at (optional)",
        help_text="Leave empty for now. Unit time; with all units, UTC unless you add an offset.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formats", ("csv", "xlsx"))
        super().__init__(*args, **kwargs)
        self.order_fields(["unit", "at", "format"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        text = (self.data.get("at") or "").strip()
        if "unit" in data and text:
            try:
                at = parse_when(text, self.tz())
            except forms.ValidationError as exc:
                self.add_error("at", exc)
                return data
            if at > timezone.now():
                self.add_error("at", "A census can only be taken now or in the past.")
            data["at"] = at
        else:
            data["at"] = None
        return data


class PeriodForm(_UnitForm):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="End (inclusive)")
    rows = forms.ChoiceField(choices=ROWS_CHOICES, required=False, initial="admissions")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formats", ("csv", "xlsx"))
        super().__init__(*args, **kwargs)
        self.fields["unit"].required = True
        self.order_fields(["unit", "start", "end", "rows", "format"])

    def unit_choices(self) -> list[tuple[str, str]]:
        return [(str(u.public_id), u.name) for u in self.units]

    @property
    def page_fields(self) -> list[Any]:
        """The fields of the report page (rows and format belong to the downloads)."""
        return [self["unit"], self["start"], self["end"]]

    def clean_unit(self) -> Unit | None:
        unit = super().clean_unit()
        if unit is None:
            raise forms.ValidationError("Choose a unit.")
        return unit

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end date must be on or after the start date.")
            elif (end - start).days + 1 > MAX_PERIOD_DAYS:
                self.add_error("end", f"A report covers at most {MAX_PERIOD_DAYS} days.")
        data["rows"] = data.get("rows") or "admissions"
        if data.get("format") == "json" and data["rows"] == "assessments":
            self.add_error("format", "Assessment rows come as CSV or XLSX only (they can be many).")
        return data
