"""HTML forms of the medication pages; the service validates the clinical rules."""

from __future__ import annotations

from django import forms

from cnt_detox.core.forms import ErrorFocusMixin
from medication.models import DoseOutcome, OrderKind
from medication.selectors import formulary


class OrderForm(ErrorFocusMixin, forms.Form):
    item = forms.ModelChoiceField(queryset=formulary(), label="Medicine")
    kind = forms.ChoiceField(
        choices=OrderKind.choices, widget=forms.RadioSelect, label="When", initial="scheduled"
    )
    dose_mg = forms.DecimalField(label="Dose (mg)", min_value=0, max_digits=7, decimal_places=2)
    route = forms.CharField(label="Route", initial="oral", max_length=20)
    times = forms.CharField(
        label="Times of day (at set times)",
        required=False,
        max_length=100,
        help_text="Unit-local, comma separated, e.g. 08:00, 20:00",
    )
    indication = forms.CharField(label="Give when (as needed)", required=False, max_length=200)
    min_interval_minutes = forms.IntegerField(
        label="At least this many minutes apart (as needed)", required=False, min_value=1
    )
    max_mg_24h = forms.DecimalField(
        label="Maximum in 24 hours (mg; benzodiazepines: diazepam equivalent of all doses)",
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=2,
    )
    ciwa_within_minutes = forms.IntegerField(
        label="CIWA-B needed within (minutes; as-needed benzodiazepine)",
        required=False,
        min_value=1,
    )
    change_reason = forms.CharField(label="Why it changes", required=False, max_length=500)
    password = forms.CharField(label="Your password (signs the order)", widget=forms.PasswordInput)
    otp_code = forms.CharField(label="One-time code (if enrolled)", required=False, max_length=12)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = formulary()


class DoseForm(ErrorFocusMixin, forms.Form):
    outcome = forms.ChoiceField(choices=DoseOutcome.choices, initial="given")
    due_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    occurred_time = forms.TimeField(required=False)
    reason_text = forms.CharField(required=False, max_length=500)
    override_reason = forms.CharField(required=False, max_length=500)


class ReasonForm(ErrorFocusMixin, forms.Form):
    reason = forms.CharField(max_length=500)
