"""Shared models: the public-id base, the user, the append-only audit event and its seal, and
API tokens."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from cnt_detox.core.roles import CLINICAL_ROLES, Role


class PublicIdModel(models.Model):
    """Base for objects exposed in URLs and the API: a random id, never the sequential key."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class User(AbstractUser):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=16, choices=Role.choices, blank=True, db_index=True)
    # A user's units are ``user.units``, the other side of ``patients.Unit.members``: the
    # relation belongs to the patients app since issue 17 (core knows no feature app).
    # A physician who may give the specialist's second signature on a taper plan that needs
    # one (tapering.md 1.3: above 40 mg/day, specialist review; and plans signed with an
    # override). Set by an admin in the admin site.
    is_addiction_specialist = models.BooleanField(
        "addiction specialist",
        default=False,
        help_text="May give the second signature on taper plans above 40 mg/day diazepam "
        "equivalent or signed with a rule override.",
    )

    @property
    def is_nurse(self) -> bool:
        return self.role == Role.NURSE

    @property
    def is_physician(self) -> bool:
        return self.role == Role.PHYSICIAN

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_clinician(self) -> bool:
        return self.role in CLINICAL_ROLES

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit row."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only.")


AuditEventQuerySet = AppendOnlyQuerySet


class AuditEvent(models.Model):
    """Who did what to which record, when and from where. Never updated, never deleted.

    On PostgreSQL row and statement triggers (migration 0002) refuse UPDATE, DELETE and
    TRUNCATE as well, so not even raw SQL from the app can rewrite history.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    # Snapshot so the row stays readable even if the account is renamed.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_public_id = models.UUIDField(null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # Tamper evidence (cnt_detox.core.audit): HMAC of this row's content and the previous
    # row's hash, so an edited, removed or inserted row breaks the chain (verify_audit).
    # Rows written before the sealer (issue 12) carry their chain link inline here; newer rows
    # leave both empty and are linked by an AuditSeal row instead.
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    # HMAC of this row alone, computed by the request that writes it (no lock, no read), so a
    # row edited or forged before the sealer links it is still detected (verify_audit).
    row_mac = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        # Given to no role group (cnt_detox.core.roles): an admin reads their units' events;
        # a facility-wide auditor is someone granted this on purpose.
        permissions = [("view_facility_audit_log", "Read the whole facility's audit log")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only.")


class AuditSeal(models.Model):
    """One link of the audit hash chain: the sealer's HMAC over an event and the link before.

    Written only by the sealer (cnt_detox.core.audit.seal_pending) under its lock; its own id
    is the chain position, so the chain follows the order in which rows were sealed. Append-only
    like the events (model guard here, triggers on PostgreSQL, INSERT/SELECT-only grants).
    """

    event = models.OneToOneField(
        AuditEvent, on_delete=models.PROTECT, related_name="seal", editable=False
    )
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_hash = models.CharField(max_length=64, editable=False)
    sealed_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    def __str__(self) -> str:
        return f"seal {self.pk} of event {self.event_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Audit seals are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit seals are append-only.")


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self, now: Any = None) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class ApiToken(PublicIdModel):
    """An API token that ends (issue 18.3): it expires, and logout, a password change,
    deactivation or a two-factor reset revoke it.

    Only the SHA-256 of the key is stored (a database dump gives no working token); the first
    characters are kept to tell tokens apart on the Account page. ``password_digest`` ties the
    token to the password it was issued under, so any password change (account page, admin
    site, ``changepassword``) ends it; ``otp_device_id`` ties it to the authenticator it was
    confirmed with, so resetting or removing that device ends it.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)
    password_digest = models.CharField(max_length=64, editable=False)
    otp_device_id = models.BigIntegerField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}… {self.created_at:%Y-%m-%d %H:%M}"
