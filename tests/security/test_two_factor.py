"""Two-factor login: enrolment, the OTP step, the forced paths, the token API, the helpers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from cnt_detox.core import otp
from cnt_detox.core.models import AuditEvent
from tests.conftest import PASSWORD
from tests.security.conftest import totp_now

pytestmark = pytest.mark.django_db


def login(client, username):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


# --- Helpers the tapering feature calls --------------------------------------------------------


def test_verify_second_factor_accepts_current_totp_once(physician, enrol):
    device, _ = enrol(physician)
    assert otp.user_has_second_factor(physician)
    code = totp_now(device)
    assert otp.verify_second_factor(physician, code)
    # The same code cannot be replayed (e.g. by someone who saw it over a shoulder).
    assert not otp.verify_second_factor(physician, code)


def test_verify_second_factor_accepts_backup_code_once_and_spaces(physician, enrol):
    _, codes = enrol(physician)
    spaced = f" {codes[0][:4]} {codes[0][4:]} "
    assert otp.verify_second_factor(physician, spaced)
    assert not otp.verify_second_factor(physician, codes[0])
    assert otp.remaining_backup_codes(physician) == len(codes) - 1


@pytest.mark.parametrize("code", ["", None, "000000", "x" * 100, 123456, "12 34 56 78 90 12 34"])
def test_verify_second_factor_rejects_bad_codes(physician, enrol, code):
    enrol(physician)
    assert not otp.verify_second_factor(physician, code)


def test_user_without_device_has_no_second_factor_and_nothing_verifies(physician):
    assert not otp.user_has_second_factor(physician)
    assert not otp.verify_second_factor(physician, "123456")


def test_unconfirmed_device_is_not_a_second_factor(physician):
    otp.new_totp_device(physician)
    assert not otp.user_has_second_factor(physician)


def test_right_code_just_after_a_wrong_one_is_accepted(physician, enrol):
    """Issue 20 item 11: django-otp's one-second back-off refused it."""
    device, _ = enrol(physician)
    assert not otp.verify_second_factor(physician, "000000")
    assert otp.verify_second_factor(physician, totp_now(device))


@pytest.mark.parametrize("steps", [-1, 1])
def test_a_phone_clock_one_step_off_is_accepted(physician, enrol, steps):
    device, _ = enrol(physician)
    assert otp.verify_second_factor(physician, totp_now(device, offset_steps=steps))


def test_a_phone_clock_two_steps_off_is_refused(physician, enrol):
    device, _ = enrol(physician)
    assert not otp.verify_second_factor(physician, totp_now(device, offset_steps=2))


def test_guessing_is_throttled_after_the_free_retries(physician, enrol):
    device, _ = enrol(physician)
    for _ in range(otp.FREE_RETRIES + 1):
        assert not otp.verify_second_factor(physician, "000000")
    # Now the right code waits for the back-off too.
    assert not otp.verify_second_factor(physician, totp_now(device))
    past = timezone.now() - dt.timedelta(seconds=2)
    TOTPDevice.objects.filter(user=physician).update(throttling_failure_timestamp=past)
    StaticDevice.objects.filter(user=physician).update(throttling_failure_timestamp=past)
    assert otp.verify_second_factor(physician, totp_now(device))
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


# --- Login flow ---------------------------------------------------------------------------------


def test_enrolled_user_must_enter_code_before_anything(client, nurse, enrol):
    device, _ = enrol(nurse)
    response = login(client, "nurse1")
    assert response.status_code == 302
    response = client.get("/api/v1/units/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "otp_required"
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:otp-verify"))
    page = client.get(response["Location"])
    assert b"one-time code" in page.content
    response = client.post(
        reverse("core:otp-verify"), {"code": totp_now(device), "next": "/api/v1/units/"}
    )
    assert response.status_code == 302 and response["Location"] == "/api/v1/units/"
    assert client.get("/api/v1/units/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_verified", actor=nurse).exists()


def test_wrong_code_is_refused_and_audited(client, nurse, enrol):
    enrol(nurse)
    login(client, "nurse1")
    response = client.post(reverse("core:otp-verify"), {"code": "000000"})
    assert response.status_code == 400
    assert b"did not work" in response.content
    assert client.get("/api/v1/units/").status_code == 401
    assert AuditEvent.objects.filter(action="auth.otp_failed", actor=nurse).exists()


def test_backup_code_logs_in_and_warns(client, nurse, enrol):
    _, codes = enrol(nurse)
    login(client, "nurse1")
    response = client.post(reverse("core:otp-verify"), {"code": codes[3]}, follow=True)
    assert response.status_code == 200
    assert b"backup code" in response.content
    assert client.get("/api/v1/units/").status_code == 200


def test_open_redirect_via_next_is_refused(client, nurse, enrol):
    device, _ = enrol(nurse)
    login(client, "nurse1")
    response = client.post(
        reverse("core:otp-verify"), {"code": totp_now(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_optional_role_without_device_logs_straight_in(client, nurse, otp_required):
    login(client, "nurse1")
    assert client.get("/api/v1/units/").status_code == 200


@pytest.mark.usefixtures("otp_required")
@pytest.mark.parametrize("who", ["physician", "admin_user"])
def test_required_role_must_enrol_before_anything(client, request, who):
    user = request.getfixturevalue(who)
    login(client, user.username)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:otp-setup"))
    assert client.get("/admin/").status_code == 302
    api = client.get("/api/v1/units/")
    assert api.status_code == 401 and api.json()["error"]["code"] == "otp_enrolment_required"

    page = client.get(reverse("core:otp-setup"))
    assert page.status_code == 200
    html = page.content.decode()
    # The QR code is drawn inline on the server: an <svg>, no external image or script.
    assert "<svg" in html and "otpauth" not in html.split("<svg")[0].lower()
    assert not re.search(r"<img[^>]+src=\"https?://", html)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'class="secret">([A-Z2-7=]+)<', html).group(1)
    assert secret.rstrip("=")

    bad = client.post(reverse("core:otp-setup"), {"code": "000000"})
    assert bad.status_code == 400
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()

    done = client.post(reverse("core:otp-setup"), {"code": totp_now(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", done.content.decode())
    assert len(codes) == 10
    assert done["Cache-Control"].startswith("max-age=0") or "no-store" in done["Cache-Control"]
    assert client.get("/api/v1/units/").status_code == 200
    assert otp.user_has_second_factor(user)
    assert AuditEvent.objects.filter(action="auth.otp_enrolled", actor=user).exists()
    # Shown once: the page does not show them again.
    again = client.get(reverse("core:otp-setup"), follow=True)
    assert codes[0] not in again.content.decode()


def test_verify_step_counts_towards_lockout(client, nurse, enrol, settings):
    settings.AXES_FAILURE_LIMIT = 3
    enrol(nurse)
    login(client, "nurse1")
    statuses = [
        client.post(reverse("core:otp-verify"), {"code": "000000"}).status_code for _ in range(3)
    ]
    assert statuses[-1] == 429
    # The session ended and a new password login is refused while locked.
    assert client.get(reverse("home")).status_code == 302
    response = login(client, "nurse1")
    assert response.status_code == 429


def test_account_page_backup_codes_and_turn_off(client, nurse, enrol):
    device, _ = enrol(nurse)
    login(client, "nurse1")
    client.post(reverse("core:otp-verify"), {"code": totp_now(device)})
    assert b"10 unused backup codes" in client.get(reverse("core:account")).content
    renewed = client.post(reverse("core:otp-backup-codes"))
    assert renewed.status_code == 200 and b"only once" in renewed.content
    off = client.post(reverse("core:otp-remove"))
    assert off.status_code == 302
    assert not otp.user_has_second_factor(nurse)
    assert client.get("/api/v1/units/").status_code == 200


def test_backup_codes_cannot_be_renewed_without_a_verified_session(client, nurse, enrol):
    enrol(nurse)
    client.force_login(nurse)
    # The gate sends an unverified session to the OTP step first.
    response = client.post(reverse("core:otp-backup-codes"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:otp-verify"))


# --- Token API ----------------------------------------------------------------------------------


def token(api, **data):
    return api().post("/api/v1/auth/token/", data, format="json")


def test_token_for_enrolled_user_needs_the_code(api, physician, enrol):
    device, _ = enrol(physician)
    response = token(api, username="doc1", password=PASSWORD)
    assert response.status_code == 400
    assert "otp" in response.json()["error"]["fields"]
    response = token(api, username="doc1", password=PASSWORD, otp="000000")
    assert response.status_code == 400
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = token(api, username="doc1", password=PASSWORD, otp=totp_now(device))
    assert response.status_code == 200 and response.json()["token"]
    assert AuditEvent.objects.filter(action="auth.token_issued", actor=physician).exists()


def test_token_for_required_role_without_device_is_refused(api, physician, otp_required):
    response = token(api, username="doc1", password=PASSWORD, otp="123456")
    assert response.status_code == 400
    assert "web app" in response.json()["error"]["fields"]["otp"][0]


def test_token_for_optional_role_without_device_needs_no_code(api, nurse, otp_required):
    assert token(api, username="nurse1", password=PASSWORD).status_code == 200


def test_development_default_requires_no_second_factor():
    from django.conf import settings

    assert settings.OTP_REQUIRED_ROLES == []


def test_seed_demo_says_when_demo_users_must_enrol(settings, capsys):
    from django.core.management import call_command

    call_command("seed_demo", "--password", "a-long-demo-password")
    assert "two-factor" not in capsys.readouterr().out
    settings.OTP_REQUIRED_ROLES = ["physician", "admin"]
    call_command("seed_demo", "--password", "a-long-demo-password")
    assert "physician, admin will set up two-factor login" in capsys.readouterr().out


def test_login_step_takes_the_right_code_after_a_typo_and_counts_one_failure(client, nurse, enrol):
    from axes.models import AccessAttempt

    device, _ = enrol(nurse)
    login(client, nurse.username)
    assert client.post(reverse("core:otp-verify"), {"code": "000000"}).status_code == 400
    response = client.post(reverse("core:otp-verify"), {"code": totp_now(device)})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("core:account")).status_code == 200
    assert sum(a.failures_since_start for a in AccessAttempt.objects.all()) <= 2
