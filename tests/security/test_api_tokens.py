"""Issue 18.3: API tokens end (expiry, API logout, password change, deactivation, 2FA reset,
2FA newly required), their last use is stored and shown on the Account page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cnt_detox.core.models import ApiToken, AuditEvent
from cnt_detox.core.services import second_factor_remove
from tests.conftest import PASSWORD
from tests.security.conftest import totp_now

pytestmark = pytest.mark.django_db
UNITS = "/api/v1/units/"


def issue(api, username, **extra) -> str:
    response = api().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD, **extra}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["expires_at"]
    return response.json()["token"]


def call(api, key, path=UNITS, method="get"):
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return getattr(client, method)(path)


def test_token_expires_after_the_setting(api, nurse, settings):
    key = issue(api, "nurse1")
    token = ApiToken.objects.get(user=nurse)
    assert dt.timedelta(hours=11, minutes=59) < token.expires_at - token.created_at
    assert token.expires_at - token.created_at <= dt.timedelta(hours=12)
    assert call(api, key).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    response = call(api, key)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_only_the_digest_is_stored(api, nurse):
    key = issue(api, "nurse1")
    assert not ApiToken.objects.filter(key_digest=key).exists()
    assert ApiToken.objects.get(user=nurse).prefix == key[:8]


def test_api_logout_ends_the_token(api, nurse):
    key, other = issue(api, "nurse1"), issue(api, "nurse1")
    assert call(api, key, "/api/v1/auth/logout/", "post").status_code == 204
    assert call(api, key).status_code == 401
    assert call(api, other).status_code == 200, "only the token logged out with ends"
    assert AuditEvent.objects.filter(action="auth.token_revoked").count() == 1


def test_password_change_ends_every_token(api, client, nurse):
    key = issue(api, "nurse1")
    client.force_login(nurse)
    new = "Tulip lantern 47 orbit"
    response = client.post(
        reverse("core:password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert call(api, key).status_code == 401
    assert ApiToken.objects.get(user=nurse).revoked_reason == "password_changed"


def test_password_set_any_other_way_ends_the_token_too(api, nurse):
    key = issue(api, "nurse1")
    nurse.set_password("Another one 5 garden gate")
    nurse.save()
    assert call(api, key).status_code == 401


def test_deactivation_ends_the_token(api, nurse):
    key = issue(api, "nurse1")
    nurse.is_active = False
    nurse.save()
    assert call(api, key).status_code == 401


def test_two_factor_reset_ends_the_token(api, physician, admin_user, enrol):
    device, _ = enrol(physician)
    key = issue(api, "doc1", otp=totp_now(device))
    assert call(api, key).status_code == 200
    second_factor_remove(actor=admin_user, user=physician)
    assert call(api, key).status_code == 401
    assert AuditEvent.objects.filter(action="auth.otp_reset", actor=admin_user).exists()


def test_token_from_before_two_factor_was_required_stops_working(api, physician, settings):
    key = issue(api, "doc1")
    assert call(api, key).status_code == 200
    settings.OTP_REQUIRED_ROLES = ["physician"]
    response = call(api, key)
    assert response.status_code == 401
    assert "two-factor" in response.json()["error"]["message"]


def test_last_use_is_stored_and_shown_on_the_account_page(api, client, nurse):
    key = issue(api, "nurse1")
    assert ApiToken.objects.get(user=nurse).last_used_at is None
    call(api, key)
    token = ApiToken.objects.get(user=nurse)
    assert token.last_used_at is not None
    client.force_login(nurse)
    page = client.get(reverse("core:account")).content.decode()
    assert token.prefix in page and "Never" not in page
    assert client.post(reverse("core:api-tokens-revoke")).status_code == 302
    assert call(api, key).status_code == 401
    assert token.prefix not in client.get(reverse("core:account")).content.decode()


def test_token_creation_and_its_audit_row_are_one_transaction(api, nurse, monkeypatch):
    from cnt_detox.core import services

    def broken(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(services.audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.api_token_issue(actor=nurse)
    assert not ApiToken.objects.exists()
