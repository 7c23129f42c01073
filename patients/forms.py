"""HTML forms of the intake pages. They parse input; the rules live in patients/services.py.

Times are typed as the unit's wall-clock time (what the nurse reads on the ward clock) and
made aware in the unit's time zone here, so storage stays UTC.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinical.equivalence import AGENTS
from cnt_detox.core.forms import ErrorFocusMixin
from patients.models import Admission, Bed, Sex, SubstanceUse
from patients.validation import HISTORY_FIELDS, MAX_SUBSTANCES

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
YES_NO_UNKNOWN = [("", "Not known"), ("yes", "Yes"), ("no", "No")]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=LOCAL_FORMAT, **kwargs)


class LocalDateTimeField(forms.DateTimeField):
    """A naive wall-clock time; the caller makes it aware in the right unit's zone."""

    widget = DateTimeLocalInput
    input_formats = [LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def to_python(self, value: Any) -> dt.datetime | None:
        with timezone.override(dt.UTC):
            result = super().to_python(value)
        return result.replace(tzinfo=None) if result else None


def to_aware(value: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    return timezone.make_aware(value, tz) if value is not None else None


def local_input(value: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> str:
    """An aware time as the value of a datetime-local input in ``tz``."""
    return value.astimezone(tz).strftime(LOCAL_FORMAT) if value else ""


def agent_choices() -> list[tuple[str, str]]:
    return [
        ("", "Choose…"),
        *((a, a.capitalize()) for a in AGENTS),
        (SubstanceUse.OTHER, "Other / unknown (type its name)"),
    ]


def bed_choices(beds: Sequence[Bed]) -> list[tuple[str, Any]]:
    """Free beds grouped by unit (an optgroup per unit): one select works without JavaScript."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for bed in beds:
        groups.setdefault(bed.unit.name, []).append(
            (str(bed.public_id), f"{bed.unit.name} · bed {bed.label}")
        )
    return [("", "Choose a free bed…"), *groups.items()]


def _no_future(value: dt.date | None) -> None:
    if value and value > timezone.localdate():
        raise ValidationError("Date of birth cannot be in the future.")


class HistoryFieldsMixin(forms.Form):
    withdrawal_seizures = forms.BooleanField(
        required=False, label="Seizures in a previous withdrawal"
    )
    epilepsy = forms.BooleanField(required=False, label="Epilepsy or seizure disorder")
    withdrawal_psychosis = forms.BooleanField(
        required=False, label="Psychosis or delirium in a previous withdrawal"
    )
    alcohol_dependence = forms.BooleanField(required=False, label="Alcohol dependence")
    other_cns_depressants = forms.BooleanField(
        required=False,
        label="Other sedating drugs in use (opioids, gabapentinoids, barbiturates, Z-drugs)",
    )
    other_cns_depressants_detail = forms.CharField(
        required=False, max_length=200, label="Which sedating drugs?"
    )
    hepatic_impairment = forms.BooleanField(required=False, label="Liver (hepatic) impairment")
    injecting = forms.BooleanField(required=False, label="Injects benzodiazepines")

    def history(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in HISTORY_FIELDS}


class PatientFieldsMixin(forms.Form):
    first_name = forms.CharField(max_length=100, label="First name")
    last_name = forms.CharField(max_length=100, label="Last name")
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[_no_future],
    )
    sex = forms.ChoiceField(choices=Sex.choices, initial=Sex.UNKNOWN)


class AdmissionForm(ErrorFocusMixin, PatientFieldsMixin, HistoryFieldsMixin, forms.Form):
    mrn = forms.CharField(max_length=32, label="MRN (hospital number)")
    bed = forms.ChoiceField(label="Unit and bed")
    admitted_at = LocalDateTimeField(label="Admitted at (unit time)")
    referral_notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Referral notes"
    )
    field_order = ["mrn", "first_name", "last_name", "date_of_birth", "sex", "bed", "admitted_at"]

    def __init__(self, *args: Any, beds: Sequence[Bed], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.beds = {str(b.public_id): b for b in beds}
        self.fields["bed"].choices = bed_choices(beds)

    @property
    def chosen_bed(self) -> Bed | None:
        return self.beds.get(str(self.cleaned_data.get("bed") or ""))


class IntakeEditForm(ErrorFocusMixin, PatientFieldsMixin, HistoryFieldsMixin, forms.Form):
    admitted_at = LocalDateTimeField(label="Admitted at (unit time)")
    referral_notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Referral notes"
    )

    @classmethod
    def initial_for(cls, admission: Admission) -> dict[str, Any]:
        patient = admission.patient
        return {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "date_of_birth": patient.date_of_birth,
            "sex": patient.sex,
            "admitted_at": local_input(admission.admitted_at, admission.unit.tz),
            "referral_notes": admission.referral_notes,
            **{name: getattr(admission, name) for name in HISTORY_FIELDS},
        }


class SubstanceForm(ErrorFocusMixin, forms.Form):
    agent = forms.ChoiceField(choices=agent_choices, label="Benzodiazepine")
    other_agent_text = forms.CharField(
        required=False, max_length=100, label="If other/unknown: name"
    )
    daily_dose_mg = forms.DecimalField(
        label="Daily dose (mg)",
        min_value=Decimal("0.001"),
        max_value=Decimal("1000"),
        max_digits=8,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    doses_per_day = forms.IntegerField(
        required=False, min_value=1, max_value=12, label="Doses per day"
    )
    days_per_week = forms.IntegerField(min_value=1, max_value=7, initial=7, label="Days per week")
    duration_months = forms.DecimalField(
        min_value=Decimal("0"),
        max_value=Decimal("1200"),
        max_digits=6,
        decimal_places=1,
        label="Used for (months)",
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    last_dose_at = LocalDateTimeField(required=False, label="Last dose (unit time)")
    prescribed = forms.ChoiceField(required=False, choices=YES_NO_UNKNOWN, label="Prescribed?")

    def row(self, tz: zoneinfo.ZoneInfo) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["last_dose_at"] = to_aware(data.get("last_dose_at"), tz)
        data["prescribed"] = {"yes": True, "no": False}.get(data.get("prescribed") or "")
        data.pop("DELETE", None)
        return data


class BaseSubstanceFormSet(forms.BaseFormSet):
    """Four rows; the first is required, the others may be blank. Blank rows are skipped; a
    row cleared in an edit is removed from the intake (the service marks it entered in error).

    Bind it WITHOUT ``initial`` on POST so "changed" means "not blank", not "edited".
    """

    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        # The first row must be filled (and the browser checks it before submit); any other
        # row may be left blank.
        kwargs["empty_permitted"] = i > 0
        kwargs["use_required_attribute"] = i == 0
        return super()._construct_form(i, **kwargs)

    def filled_forms(self) -> list[SubstanceForm]:
        return [f for f in self.forms if f.has_changed() and f.cleaned_data]

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.filled_forms():
            raise ValidationError("Enter at least one benzodiazepine (or other/unknown).")


SubstanceFormSet = forms.formset_factory(
    SubstanceForm,
    formset=BaseSubstanceFormSet,
    extra=MAX_SUBSTANCES,
    max_num=MAX_SUBSTANCES,
    validate_max=True,
)


def substance_initial(admission: Admission) -> list[dict[str, Any]]:
    tz = admission.unit.tz
    return [
        {
            "agent": s.agent,
            "other_agent_text": s.other_agent_text,
            "daily_dose_mg": s.daily_dose_mg,
            "doses_per_day": s.doses_per_day,
            "days_per_week": s.days_per_week,
            "duration_months": s.duration_months,
            "last_dose_at": local_input(s.last_dose_at, tz),
            "prescribed": {True: "yes", False: "no"}.get(s.prescribed, ""),
        }
        for s in admission.substances.all()
    ]


class TransferForm(ErrorFocusMixin, forms.Form):
    bed = forms.ChoiceField(label="Move to (unit and bed)")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Reason")

    def __init__(self, *args: Any, beds: Sequence[Bed], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.beds = {str(b.public_id): b for b in beds}
        self.fields["bed"].choices = bed_choices(beds)

    @property
    def chosen_bed(self) -> Bed | None:
        return self.beds.get(str(self.cleaned_data.get("bed") or ""))


class DischargeForm(ErrorFocusMixin, forms.Form):
    discharged_at = LocalDateTimeField(label="Discharged at (unit time)")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Reason")


def attach_service_errors(
    exc: ValidationError,
    form: forms.Form,
    row_forms: Sequence[forms.Form] = (),
) -> None:
    """Put a service's field errors beside the fields they are about.

    ``patient.x`` goes to field x; ``substances.N.x`` to field x of the N-th filled substance
    row; ``unit`` to the bed select; anything else to the top of the form.
    """
    messages = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for key, texts in messages.items():
        key = key or ""
        target: forms.Form = form
        name: str | None = key.removeprefix("patient.")
        if key.startswith("substances.") and key.count(".") == 2:
            _, index, name = key.split(".")
            if int(index) < len(row_forms):
                target = row_forms[int(index)]
        elif key == "unit":
            name = "bed"
        for text in texts:
            target.add_error(name if name in target.fields else None, text)
