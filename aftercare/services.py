"""Writes of discharge and aftercare: discharge with readiness, aftercare plan versions,
follow-ups, signed discharge summaries and the patient's expiring links.

Each service runs in one transaction, validates, saves and leaves an audit event in it. The
pages and the API call these same functions. Signing follows tapering.md section 5 (password,
one-time code when enrolled, printed name, role, time, meaning, SHA-256 of the canonical
content), the way tapering.services.plan_sign does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.http import HttpRequest
from django.utils import timezone

from aftercare import selectors, summary
from aftercare.models import (
    AftercarePlan,
    DischargeRecord,
    DischargeSummary,
    FollowUpAppointment,
    FollowUpMode,
    FollowUpStatus,
    LevelOfCare,
    OverrideCategory,
    PatientLink,
    ReferralKind,
    SummaryStatus,
    SupportGroup,
)
from clinical import discharge as rules
from cnt_detox.core import audit, otp
from patients import services as patient_services
from patients.models import Admission
from tapering.services import digest_of

SUMMARY_MEANING = "approved discharge summary"


def _require_clinician(user: Any) -> None:
    if not getattr(user, "is_clinician", False):
        raise PermissionDenied("Only nurses and physicians do this.")


def _require_physician(user: Any, what: str) -> None:
    if not getattr(user, "is_physician", False):
        raise PermissionDenied(f"Only physicians {what}.")


def _text(value: Any) -> str:
    return str(value or "").strip()


# --- Discharge ------------------------------------------------------------------------------


def check_readiness(
    admission: Admission, actor: Any, override: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Refuse a discharge the readiness rules do not allow (clinical.discharge levels).

    Blockers need a physician, an override category and a reason; warnings need the
    discharging clinician's acknowledgement. Called by the discharge guard for every discharge
    (pages and API of patients too): without ``override`` only blockers refuse, so the plain
    discharge form still works for a patient with nothing open.
    """
    items = selectors.readiness_for(admission)
    blockers = [i for i in items if i["level"] == rules.BLOCK]
    warnings = [i for i in items if i["level"] == rules.WARN]
    errors: dict[str, list[str]] = {}
    if blockers:
        listed = "; ".join(i["message"] for i in blockers)
        if override is None:
            errors["non_field_errors"] = [
                f"Not ready for discharge: {listed} Use the discharge page to discharge with "
                "a reason."
            ]
        else:
            category = _text(override.get("override_category"))
            if not getattr(actor, "is_physician", False):
                errors["non_field_errors"] = [
                    f"Not ready for discharge: {listed} Only a physician can discharge now."
                ]
            elif category not in OverrideCategory.values:
                errors["override_category"] = [
                    "Open items remain: choose why the patient leaves anyway (against medical "
                    "advice, transfer to hospital, other)."
                ]
            elif not _text(override.get("override_reason")):
                errors["override_reason"] = ["Say why the patient is discharged with open items."]
    if warnings and override is not None and not override.get("acknowledge_warnings"):
        errors["acknowledge_warnings"] = [
            "Tick to confirm you have seen: " + "; ".join(i["message"] for i in warnings)
        ]
    if errors:
        raise ValidationError(errors)
    return items


def discharge(
    *,
    actor: Any,
    admission: Admission,
    discharged_at: dt.datetime,
    reason: str,
    override_category: str = "",
    override_reason: str = "",
    acknowledge_warnings: bool = False,
    request: HttpRequest | None = None,
) -> DischargeRecord:
    """Discharge through the readiness check and keep what was open and why (one transaction)."""
    _require_clinician(actor)
    override = {
        "override_category": _text(override_category),
        "override_reason": _text(override_reason),
        "acknowledge_warnings": bool(acknowledge_warnings),
    }
    with transaction.atomic():
        # Lock first so the items recorded are the ones the discharge was checked against.
        locked = Admission.objects.select_for_update().get(pk=admission.pk)
        items = check_readiness(locked, actor, override) if locked.is_open else []
        discharged = patient_services.admission_discharge(
            actor=actor,
            admission=locked,
            discharged_at=discharged_at,
            reason=reason,
            request=request,
            override=override,
        )
        blocked = any(i["level"] == rules.BLOCK for i in items)
        record = DischargeRecord(
            admission=discharged,
            discharged_by=actor,
            readiness=items,
            rules_version=rules.RULES_VERSION,
            override_category=override["override_category"] if blocked else "",
            override_reason=override["override_reason"] if blocked else "",
            warnings_acknowledged=bool(items) and override["acknowledge_warnings"],
        )
        record.full_clean()
        record.save()
        audit.record(
            actor=actor,
            action="discharge.readiness_recorded",
            obj=record,
            patient=discharged.patient,
            request=request,
            details={
                "open_items": [i["code"] for i in items],
                "override_category": record.override_category,
                "override_reason": record.override_reason,
                "rules_version": rules.RULES_VERSION,
            },
        )
    admission.refresh_from_db()
    return record


# --- Aftercare plan -------------------------------------------------------------------------


def _clean_referrals(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, str]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors["referrals"] = ["Give a list of referrals."]
        return []
    out = []
    for n, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors[f"referrals.{n}"] = ["Each referral has kind, provider, first_appointment."]
            continue
        kind = _text(item.get("kind"))
        provider = _text(item.get("provider"))
        when = _text(item.get("first_appointment"))
        if kind not in ReferralKind.values:
            errors[f"referrals.{n}.kind"] = [f"Choose one of: {', '.join(ReferralKind.values)}."]
        if not provider:
            errors[f"referrals.{n}.provider"] = ["Name the provider (service or person)."]
        if when:
            try:
                dt.datetime.fromisoformat(when)
            except ValueError:
                errors[f"referrals.{n}.first_appointment"] = [
                    "Give the date and time as YYYY-MM-DD HH:MM (unit time)."
                ]
        out.append(
            {
                "kind": kind,
                "provider": provider,
                "first_appointment": when,
                "notes": _text(item.get("notes")),
            }
        )
    return out


def _groups(ids: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    if ids in (None, ""):
        return []
    if not isinstance(ids, list | tuple):
        errors["support_groups"] = ["Give a list of support group ids."]
        return []
    wanted = [int(i) for i in ids if str(i).isdigit() and len(str(i)) < 10]
    if len(wanted) != len(ids):
        errors["support_groups"] = ["Choose support groups from the facility list."]
        return []
    found = {g.pk: g for g in SupportGroup.objects.filter(pk__in=wanted, active=True)}
    if len(found) != len(set(wanted)):
        errors["support_groups"] = ["A chosen support group is not on the facility list."]
    return [
        {
            "id": g.pk,
            "name": g.name,
            "contact": g.contact,
            "meetings": g.meetings,
            "description": g.description,
        }
        for g in (found[i] for i in dict.fromkeys(wanted) if i in found)
    ]


TEXT_FIELDS = (
    "level_reason",
    "other_support",
    "triggers",
    "warning_signs",
    "coping_strategies",
    "people_to_call",
    "family_involvement",
    "consent_details",
)


def aftercare_plan_save(
    *,
    actor: Any,
    admission: Admission,
    data: Mapping[str, Any],
    change_reason: str = "",
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> AftercarePlan:
    """A new version of the aftercare plan; the previous one is kept, marked superseded.

    ``expected_version`` (the version the clinician edited; 0 for none) refuses a save over a
    version someone else made meanwhile.
    """
    _require_clinician(actor)
    errors: dict[str, list[str]] = {}
    level = _text(data.get("level_of_care"))
    if level not in LevelOfCare.values:
        errors["level_of_care"] = [f"Choose one of: {', '.join(LevelOfCare.values)}."]
    texts = {name: _text(data.get(name)) for name in TEXT_FIELDS}
    if not texts["level_reason"]:
        errors["level_reason"] = ["Say why this level of care."]
    consent = bool(data.get("consent_to_share"))
    if consent and not texts["consent_details"]:
        errors["consent_details"] = ["Say who may be told what."]
    referrals = _clean_referrals(data.get("referrals"), errors)
    groups = _groups(data.get("support_groups"), errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Lock the admission: two saves at once get distinct versions or a clear refusal.
        Admission.objects.select_for_update().get(pk=admission.pk)
        current = selectors.current_aftercare(admission)
        current_version = current.version if current else 0
        if expected_version is not None and int(expected_version) != current_version:
            raise ValidationError(
                {
                    "non_field_errors": [
                        f"Someone saved version {current_version} meanwhile; reload and make your "
                        "change again."
                    ]
                }
            )
        reason = _text(change_reason)
        if current is not None and not reason:
            raise ValidationError({"change_reason": ["Say what changed and why."]})
        now = timezone.now()
        if current is not None:
            current.superseded_at = now
            current.save(update_fields=["superseded_at"])
        top = AftercarePlan.objects.filter(admission=admission).aggregate(v=Max("version"))["v"]
        plan = AftercarePlan(
            admission=admission,
            version=(top or 0) + 1,
            supersedes=current,
            change_reason=reason,
            level_of_care=level,
            referrals=referrals,
            support_groups=groups,
            consent_to_share=consent,
            created_by=actor,
            created_at=now,
            **texts,
        )
        plan.full_clean()
        plan.save()
        audit.record(
            actor=actor,
            action="aftercare_plan.saved",
            obj=plan,
            patient=admission.patient,
            request=request,
            details={
                "version": plan.version,
                "supersedes": current.public_id if current else None,
                "reason": reason,
                "level_of_care": level,
            },
        )
    return plan


# --- Follow-ups -------------------------------------------------------------------------------


def follow_up_create(
    *,
    actor: Any,
    admission: Admission,
    scheduled_at: dt.datetime | None,
    with_whom: str,
    mode: str,
    location: str = "",
    notes: str = "",
    request: HttpRequest | None = None,
) -> FollowUpAppointment:
    _require_clinician(actor)
    errors: dict[str, list[str]] = {}
    if scheduled_at is None:
        errors["scheduled_at"] = ["Give the date and time of the appointment."]
    elif scheduled_at < admission.admitted_at:
        errors["scheduled_at"] = ["The appointment cannot be before the admission."]
    if not _text(with_whom):
        errors["with_whom"] = ["Say with whom (clinic, clinician)."]
    if mode not in FollowUpMode.values:
        errors["mode"] = ["Choose in person or telehealth."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        follow_up = FollowUpAppointment(
            admission=admission,
            scheduled_at=scheduled_at,
            with_whom=_text(with_whom),
            mode=mode,
            location=_text(location),
            notes=_text(notes),
            created_by=actor,
        )
        follow_up.full_clean()
        follow_up.save()
        audit.record(
            actor=actor,
            action="follow_up.created",
            obj=follow_up,
            patient=admission.patient,
            request=request,
            details={"scheduled_at": scheduled_at, "mode": mode},
        )
    return follow_up


def follow_up_record(
    *,
    actor: Any,
    follow_up: FollowUpAppointment,
    status: str,
    note: str = "",
    adherence: str = "",
    ciwa_b_total: int | None = None,
    request: HttpRequest | None = None,
) -> FollowUpAppointment:
    """Attended (with adherence to the continuing taper, optionally a CIWA-B total), did not
    attend, or cancelled (with a reason). Recorded once: the outcome is not overwritten."""
    _require_clinician(actor)
    errors: dict[str, list[str]] = {}
    if status not in (FollowUpStatus.ATTENDED, FollowUpStatus.MISSED, FollowUpStatus.CANCELLED):
        errors["status"] = ["Choose attended, did not attend, or cancelled."]
    if status == FollowUpStatus.CANCELLED and not _text(note):
        errors["note"] = ["Say why the appointment is cancelled."]
    if status == FollowUpStatus.ATTENDED and not adherence:
        errors["adherence"] = ["Say how the patient is keeping to the taper."]
    if ciwa_b_total is not None and not 0 <= int(ciwa_b_total) <= 80:
        errors["ciwa_b_total"] = ["A CIWA-B total is 0 to 80."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        now = timezone.now()
        # Conditional update: a double submit or a colleague's parallel entry changes nothing.
        changed = FollowUpAppointment.objects.filter(
            pk=follow_up.pk, status=FollowUpStatus.SCHEDULED
        ).update(
            status=status,
            outcome_note=_text(note),
            adherence=adherence if status == FollowUpStatus.ATTENDED else "",
            ciwa_b_total=ciwa_b_total if status == FollowUpStatus.ATTENDED else None,
            outcome_recorded_at=now,
            outcome_recorded_by=actor,
        )
        if not changed:
            raise ValidationError({"non_field_errors": ["This appointment is already recorded."]})
        follow_up.refresh_from_db()
        audit.record(
            actor=actor,
            action="follow_up.recorded",
            obj=follow_up,
            patient=follow_up.admission.patient,
            request=request,
            changes={"status": {"old": FollowUpStatus.SCHEDULED, "new": status}},
            details={"adherence": follow_up.adherence, "ciwa_b_total": ciwa_b_total},
        )
    return follow_up


# --- Discharge summary ----------------------------------------------------------------------


def _second_factor(user: Any, code: str | None) -> bool:
    return otp.signing_second_factor(user, code)


def summary_sign(
    *,
    actor: Any,
    admission: Admission,
    password: str,
    otp_code: str | None = None,
    other_medicines: str = "",
    notes: str = "",
    amendment_reason: str = "",
    request: HttpRequest | None = None,
) -> DischargeSummary:
    """Freeze the summary built from the records now and sign it; an existing signed version
    is superseded by this one (an amendment needs a reason)."""
    _require_physician(actor, "sign discharge summaries")
    if not password or not actor.check_password(password):
        # Outside any transaction, so the refused attempt stays in the audit trail.
        audit.record(
            actor=actor,
            action="discharge_summary.sign_refused",
            obj=admission,
            patient=admission.patient,
            request=request,
            details={"reason": "wrong password"},
        )
        raise ValidationError(
            {"password": ["That password is not correct, so nothing was signed. Try again."]}
        )
    second = _second_factor(actor, otp_code)
    with transaction.atomic():
        locked = Admission.objects.select_for_update().select_related("patient", "unit", "bed")
        locked = locked.get(pk=admission.pk)
        current = (
            DischargeSummary.objects.select_for_update()
            .filter(admission=locked, status=SummaryStatus.SIGNED)
            .first()
        )
        reason = _text(amendment_reason)
        if current is not None and not reason:
            raise ValidationError(
                {"amendment_reason": ["A signed summary exists: say why it is amended."]}
            )
        content = summary.build_content(locked, other_medicines=other_medicines, notes=notes)
        canonical = summary.canonical(content)
        now = timezone.now()
        if current is not None:
            current.status = SummaryStatus.SUPERSEDED
            current.superseded_at = now
            current.save(update_fields=["status", "superseded_at"])
        top = DischargeSummary.objects.filter(admission=locked).aggregate(v=Max("version"))["v"]
        signed = DischargeSummary(
            admission=locked,
            version=(top or 0) + 1,
            supersedes=current,
            amendment_reason=reason if current else "",
            content=content,
            canonical_json=canonical,
            digest=digest_of(canonical),
            content_version=summary.CONTENT_VERSION,
            signed_by=actor,
            printed_name=actor.display_name,
            role=actor.role,
            signed_at=now,
            meaning=SUMMARY_MEANING,
            second_factor=second,
        )
        signed.full_clean()
        try:
            with transaction.atomic():
                signed.save()
        except IntegrityError:
            raise ValidationError(
                {"non_field_errors": ["Another physician just signed a version; reload."]}
            ) from None
        audit.record(
            actor=actor,
            action="discharge_summary.signed",
            obj=signed,
            patient=locked.patient,
            request=request,
            details={
                "version": signed.version,
                "digest": signed.digest,
                "meaning": SUMMARY_MEANING,
                "supersedes": current.public_id if current else None,
                "amendment_reason": signed.amendment_reason,
            },
        )
    return signed


def summary_access_audit(
    *, actor: Any, summary_row: DischargeSummary, how: str, request: HttpRequest | None = None
) -> None:
    """Every view, print, download and JSON read of a summary (architecture.md)."""
    audit.record(
        actor=actor,
        action=f"discharge_summary.{how}",
        obj=summary_row,
        patient=summary_row.admission.patient,
        request=request,
        details={"version": summary_row.version, "digest": summary_row.digest},
    )


# --- Patient links ----------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def patient_link_create(
    *, actor: Any, admission: Admission, request: HttpRequest | None = None
) -> tuple[PatientLink, str]:
    """A link to the patient's plain copy, valid AFTERCARE_PATIENT_LINK_HOURS; the token is
    returned once and only its hash is stored."""
    _require_clinician(actor)
    if selectors.current_summary(admission) is None:
        raise ValidationError(
            {"non_field_errors": ["Sign the discharge summary first; the copy is made from it."]}
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        link = PatientLink(
            admission=admission,
            token_hash=token_hash(token),
            created_by=actor,
            created_at=now,
            expires_at=now + dt.timedelta(hours=settings.AFTERCARE_PATIENT_LINK_HOURS),
        )
        link.full_clean()
        link.save()
        audit.record(
            actor=actor,
            action="patient_link.created",
            obj=link,
            patient=admission.patient,
            request=request,
            details={"expires_at": link.expires_at},
        )
    return link, token


def patient_link_revoke(
    *, actor: Any, link: PatientLink, request: HttpRequest | None = None
) -> PatientLink:
    _require_clinician(actor)
    with transaction.atomic():
        PatientLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        link.refresh_from_db()
        audit.record(
            actor=actor,
            action="patient_link.revoked",
            obj=link,
            patient=link.admission.patient,
            request=request,
        )
    return link


def patient_link_opened(*, link: PatientLink, request: HttpRequest | None = None) -> None:
    """The patient (anonymous) opened their copy: counted and audited."""
    with transaction.atomic():
        PatientLink.objects.filter(pk=link.pk).update(opened_count=F("opened_count") + 1)
        audit.record(
            actor=None,
            action="patient_link.opened",
            obj=link,
            patient=link.admission.patient,
            request=request,
        )
