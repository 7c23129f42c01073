"""Signed discharge summaries and the audit of reading one."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from aftercare import summary
from aftercare.models import (
    DischargeSummary,
    SummaryStatus,
)
from aftercare.services.common import _require_physician, _text
from cnt_detox.core import audit, otp
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.models import User
from patients.models import Admission
from tapering.services import digest_of

SUMMARY_MEANING = "approved discharge summary"


# --- Discharge summary ----------------------------------------------------------------------


def _second_factor(user: Any, code: str | None) -> bool:
    return otp.signing_second_factor(user, code)


def summary_sign(
    *,
    actor: User,
    admission: Admission,
    password: str,
    otp_code: str | None = None,
    other_medicines: str = "",
    notes: str = "",
    amendment_reason: str = "",
    client: Client | None = None,
) -> DischargeSummary:
    """Freeze the summary built from the records now and sign it; an existing signed version
    is superseded by this one (an amendment needs a reason)."""
    _require_physician(actor, "sign discharge summaries")
    if not password or not actor.check_password(password):
        # Outside any transaction, so the refused attempt stays in the audit trail.
        audit.record(
            actor=actor,
            action=AuditAction.DISCHARGE_SUMMARY_SIGN_REFUSED,
            obj=admission,
            patient=admission.patient,
            client=client,
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
            action=AuditAction.DISCHARGE_SUMMARY_SIGNED,
            obj=signed,
            patient=locked.patient,
            client=client,
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
    *, actor: User, summary_row: DischargeSummary, how: str, client: Client | None = None
) -> None:
    """Every view, print, download and JSON read of a summary (architecture.md)."""
    audit.record(
        actor=actor,
        action=f"discharge_summary.{how}",
        obj=summary_row,
        patient=summary_row.admission.patient,
        client=client,
        details={"version": summary_row.version, "digest": summary_row.digest},
    )
