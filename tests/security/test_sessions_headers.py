"""Sessions (idle, absolute, logout, password change) and security headers."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from cnt_detox.core.middleware import LAST_ACTIVITY_KEY, LOGIN_AT_KEY
from cnt_detox.core.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_background_poll_does_not_refresh_activity(client, nurse):
    client.force_login(nurse)
    client.get("/api/v1/units/")
    session = client.session
    stamp = time.time() - 300
    session[LAST_ACTIVITY_KEY] = stamp
    session.save()
    assert client.get("/api/v1/units/", HTTP_X_BACKGROUND_POLL="1").status_code == 200
    assert client.session[LAST_ACTIVITY_KEY] == stamp
    client.get("/api/v1/units/")
    assert client.session[LAST_ACTIVITY_KEY] > stamp


def test_absolute_limit_ends_an_active_session_after_12_hours(client, nurse, settings):
    assert settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS == 12 * 3600
    client.force_login(nurse)
    client.get("/api/v1/units/")
    session = client.session
    session[LOGIN_AT_KEY] = time.time() - 12 * 3600 - 1
    session[LAST_ACTIVITY_KEY] = time.time()  # busy right up to now
    session.save()
    response = client.get("/api/v1/units/")
    assert response.status_code == 401
    assert "12 hours" in response.json()["error"]["message"]
    page = client.get(reverse("home"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))


def test_session_cookie_does_not_outlive_the_absolute_limit(settings):
    assert settings.SESSION_COOKIE_AGE <= settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_HTTPONLY


def test_logout_clears_site_data_and_is_audited(client, nurse):
    client.post(reverse("login"), {"username": "nurse1", "password": PASSWORD})
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert AuditEvent.objects.filter(action="auth.logged_out", actor=nurse).exists()
    assert AuditEvent.objects.filter(action="auth.logged_in", actor=nurse).exists()
    assert client.get("/api/v1/units/").status_code == 401


def test_password_change_ends_the_session(client, nurse):
    client.post(reverse("login"), {"username": "nurse1", "password": PASSWORD})
    other = client.__class__()
    other.post(reverse("login"), {"username": "nurse1", "password": PASSWORD})
    new = "a-new-and-longer-passphrase"
    bad = client.post(
        reverse("core:password-change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert bad.status_code == 200 and b"at least 12" in bad.content
    response = client.post(
        reverse("core:password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert response["Clear-Site-Data"]
    # This session and every other session of the user are over.
    assert client.get("/api/v1/units/").status_code == 401
    assert other.get("/api/v1/units/").status_code == 401
    assert client.post(reverse("login"), {"username": "nurse1", "password": new}).status_code == 302
    assert AuditEvent.objects.filter(action="auth.password_changed", actor=nurse).exists()


def test_security_headers_on_pages(client, nurse):
    client.force_login(nurse)
    response = client.get(reverse("core:account"))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"


def test_login_page_has_csp_too(client):
    assert "script-src 'self'" in client.get(reverse("login"))["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def _templates() -> list[Path]:
    found = list((ROOT / "templates").rglob("*.html"))
    for app in ("patients", "assessments", "tapering", "reports", "notifications", "cnt_detox"):
        found += list((ROOT / app).rglob("templates/**/*.html"))
    return found


def test_no_template_has_inline_script_style_or_handlers():
    """The CSP forbids inline code; a template that uses it would silently break."""
    problems = []
    for path in _templates():
        text = path.read_text()
        for label, pattern in (
            ("inline <script>", INLINE_SCRIPT),
            ("on* handler", INLINE_HANDLER),
            ("inline style", INLINE_STYLE),
        ):
            if pattern.search(text):
                problems.append(f"{path.relative_to(ROOT)}: {label}")
    assert not problems, "\n".join(problems)


def test_500_page_is_csp_safe(client, nurse, monkeypatch):
    from cnt_detox.core import views

    def boom(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.registry, "role_home", lambda role: None)
    monkeypatch.setattr(views, "member_units", boom)
    client.raise_request_exception = False
    client.force_login(nurse)
    response = client.get(reverse("home"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "style=" not in html and "<style" not in html
    assert "css/error.css" in html


def _settings_in(env: dict[str, str], expr: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print({expr})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "cnt_detox.settings", **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "Zq8-vT3pL0x9Rk2mW7cY4nB6hJ1sD5fG8aE0uI3oP7lK9jH2gF4dS6",
    "ALLOWED_HOSTS": "x",
}


def test_production_cookies_are_secure_and_2fa_required_for_physicians_and_admins():
    out = _settings_in(
        PRODUCTION,
        "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_SSL_REDIRECT, settings.OTP_REQUIRED_ROLES",
    )
    assert out == "True True True ['physician', 'admin']"


def test_required_roles_come_from_the_environment():
    out = _settings_in(
        {"OTP_REQUIRED_ROLES": "nurse,physician,admin"}, "settings.OTP_REQUIRED_ROLES"
    )
    assert out == "['nurse', 'physician', 'admin']"


@pytest.mark.slow
def test_check_deploy_is_clean_in_production():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={"PATH": "/usr/bin:/bin", **PRODUCTION},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_api_docs_are_vendored_and_keep_scripts_self_only(client, nurse):
    client.force_login(nurse)
    response = client.get("/api/v1/docs/")
    csp = response["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src
    html = response.content.decode()
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # the bootstrap script is a separate file
    assert "Content-Security-Policy" in client.get("/api/v1/units/")


@pytest.mark.parametrize(
    ("stamps", "words"),
    [
        ({LAST_ACTIVITY_KEY: -16 * 60}, "You were logged out after 15 minutes without activity"),
        ({LOGIN_AT_KEY: -12 * 3600 - 1}, "You were logged out after 12 hours"),
    ],
)
def test_expired_session_lands_on_login_with_the_reason_never_a_500(client, nurse, stamps, words):
    """Issue 18 item 7: the idle check ran before the messages middleware (MessageFailure)."""
    client.force_login(nurse)
    client.get("/api/v1/units/")
    session = client.session
    for key, offset in stamps.items():
        session[key] = time.time() + offset
    session.save()
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert response.request["PATH_INFO"] == reverse("login")
    assert words in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "path", ["/reports/board/rows/", "/api/v1/notifications/count/", "/api/v1/session/"]
)
def test_automatic_requests_never_count_as_activity_whatever_the_client_sends(client, nurse, path):
    """Issue 20 item 9: the board refresh, the bell and the countdown keep no session alive,
    even without the X-Background-Poll header."""
    client.force_login(nurse)
    client.get("/api/v1/units/")
    session = client.session
    stamp = time.time() - 300
    session[LAST_ACTIVITY_KEY] = stamp
    session.save()
    assert client.get(path).status_code == 200
    assert client.session[LAST_ACTIVITY_KEY] == stamp


def test_session_status_says_what_is_left_and_401_once_the_idle_limit_passed(client, nurse):
    client.force_login(nurse)
    client.get("/api/v1/units/")
    session = client.session
    session[LAST_ACTIVITY_KEY] = time.time() - 14 * 60
    session.save()
    left = client.get("/api/v1/session/").json()["remaining_seconds"]
    assert 55 <= left <= 60
    session = client.session
    session[LAST_ACTIVITY_KEY] = time.time() - 15 * 60 - 1
    session.save()
    response = client.get("/api/v1/session/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"
    page = client.get(reverse("home"), follow=True)
    assert page.request["PATH_INFO"] == reverse("login")
    assert "15 minutes without activity" in page.content.decode()


def test_stay_logged_in_is_activity(client, nurse):
    client.force_login(nurse)
    client.get("/api/v1/units/")
    session = client.session
    session[LAST_ACTIVITY_KEY] = time.time() - 14 * 60
    session.save()
    response = client.post(
        reverse("session-keepalive"), {"next": "/reports/board/"}, HTTP_ACCEPT="application/json"
    )
    assert response.json()["remaining_seconds"] >= 14 * 60
    response = client.post(reverse("session-keepalive"), {"next": "/reports/board/"})
    assert response.status_code == 302 and response["Location"] == "/reports/board/"
