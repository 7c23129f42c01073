"""Forms of the discharge and aftercare pages; they only collect input for the services."""

from __future__ import annotations

from typing import Any

from django import forms

from aftercare.models import (
    Adherence,
    FollowUpMode,
    FollowUpStatus,
    LevelOfCare,
    OverrideCategory,
    ReferralKind,
)
from patients.forms import DischargeForm, LocalDateTimeField

REFERRAL_ROWS = 3
TEXTAREA = {"rows": 3}


class ReadinessDischargeForm(DischargeForm):
    override_category = forms.ChoiceField(
        choices=[("", "No open items / not needed"), *OverrideCategory.choices],
        required=False,
        label="Why the patient leaves with open items (physician)",
    )
    override_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Reason in words"
    )
    acknowledge_warnings = forms.BooleanField(
        required=False, label="I have seen the warnings listed above"
    )


class AftercareForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    level_of_care = forms.ChoiceField(
        choices=[("", "Choose…"), *LevelOfCare.choices], label="Level of care after discharge"
    )
    level_reason = forms.CharField(widget=forms.Textarea(attrs=TEXTAREA), label="Why this level")
    support_groups = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, required=False, label="Support groups"
    )
    other_support = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA), required=False, label="Other support"
    )
    triggers = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA), required=False, label="Triggers (patient's words)"
    )
    warning_signs = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA),
        required=False,
        label="My warning signs (patient's words)",
    )
    coping_strategies = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA),
        required=False,
        label="What helps me cope (patient's words)",
    )
    people_to_call = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA), required=False, label="People I can call"
    )
    family_involvement = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA), required=False, label="Family involvement"
    )
    consent_to_share = forms.BooleanField(
        required=False, label="The patient consents to share information with family or carers"
    )
    consent_details = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA), required=False, label="Who may be told what"
    )
    change_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="What changed and why (needed for a new version)",
    )

    def __init__(self, *args: Any, groups: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["support_groups"].choices = [
            (str(g.pk), f"{g.name}" + (f" ({g.meetings})" if g.meetings else "")) for g in groups
        ]
        for n in range(REFERRAL_ROWS):
            self.fields[f"ref_{n}_kind"] = forms.ChoiceField(
                choices=[("", "No referral"), *ReferralKind.choices],
                required=False,
                label=f"Referral {n + 1}: therapy",
            )
            self.fields[f"ref_{n}_provider"] = forms.CharField(
                required=False, label=f"Referral {n + 1}: provider"
            )
            self.fields[f"ref_{n}_first_appointment"] = LocalDateTimeField(
                required=False, label=f"Referral {n + 1}: first appointment (unit time)"
            )
            self.fields[f"ref_{n}_notes"] = forms.CharField(
                required=False, label=f"Referral {n + 1}: notes"
            )

    def referral_rows(self) -> list[list[Any]]:
        return [
            [self[f"ref_{n}_{k}"] for k in ("kind", "provider", "first_appointment", "notes")]
            for n in range(REFERRAL_ROWS)
        ]

    def to_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        referrals = []
        for n in range(REFERRAL_ROWS):
            kind = data.pop(f"ref_{n}_kind", "")
            provider = data.pop(f"ref_{n}_provider", "")
            when = data.pop(f"ref_{n}_first_appointment", None)
            notes = data.pop(f"ref_{n}_notes", "")
            if kind or provider:
                referrals.append(
                    {
                        "kind": kind,
                        "provider": provider,
                        "first_appointment": when.strftime("%Y-%m-%dT%H:%M") if when else "",
                        "notes": notes,
                    }
                )
        data["referrals"] = referrals
        return data

    @staticmethod
    def initial_for(plan: Any) -> dict[str, Any]:
        if plan is None:
            return {"expected_version": 0}
        initial: dict[str, Any] = {
            "expected_version": plan.version,
            "level_of_care": plan.level_of_care,
            "support_groups": [str(g["id"]) for g in plan.support_groups],
            "consent_to_share": plan.consent_to_share,
        }
        for name in (
            "level_reason",
            "other_support",
            "triggers",
            "warning_signs",
            "coping_strategies",
            "people_to_call",
            "family_involvement",
            "consent_details",
        ):
            initial[name] = getattr(plan, name)
        for n, ref in enumerate(plan.referrals[:REFERRAL_ROWS]):
            initial[f"ref_{n}_kind"] = ref["kind"]
            initial[f"ref_{n}_provider"] = ref["provider"]
            initial[f"ref_{n}_first_appointment"] = ref["first_appointment"]
            initial[f"ref_{n}_notes"] = ref.get("notes", "")
        return initial


class FollowUpForm(forms.Form):
    scheduled_at = LocalDateTimeField(label="Date and time (unit time)")
    with_whom = forms.CharField(label="With whom")
    mode = forms.ChoiceField(choices=FollowUpMode.choices, widget=forms.RadioSelect, label="How")
    location = forms.CharField(required=False, label="Where (or video link details)")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class FollowUpOutcomeForm(forms.Form):
    follow_up = forms.UUIDField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        choices=[
            (FollowUpStatus.ATTENDED, "Attended"),
            (FollowUpStatus.MISSED, "Did not attend"),
            (FollowUpStatus.CANCELLED, "Cancelled"),
        ],
        label="Outcome",
    )
    adherence = forms.ChoiceField(
        choices=[("", "—"), *Adherence.choices], required=False, label="Keeping to the taper"
    )
    ciwa_b_total = forms.IntegerField(
        required=False, min_value=0, max_value=80, label="CIWA-B total (if taken)"
    )
    note = forms.CharField(required=False, label="Note (reason if cancelled)")


class SummarySignForm(forms.Form):
    other_medicines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Other medicines at discharge (name, dose, how often)",
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Notes for the GP/clinic"
    )
    amendment_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Reason for the amendment (when a signed version exists)",
    )
    password = forms.CharField(widget=forms.PasswordInput, label="Your password")
    otp_code = forms.CharField(
        required=False, label="One-time code (if you use two-factor login)", max_length=16
    )
