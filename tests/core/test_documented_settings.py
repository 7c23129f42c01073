"""Issue 19 item 3: every variable the README documents is read by the settings and changes
what the app is configured with; a bad value stops start-up naming the variable.

The README's configuration tables (every table whose first column is "Variable") are the
list: a variable documented there but never read, or read but without effect, fails here.
"""

from __future__ import annotations

import os
import re
import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "cnt_detox" / "settings.py"
PRODUCTION = {"DJANGO_ENV": "production", "SECRET_KEY": "s" * 60, "ALLOWED_HOSTS": "example.org"}
POSTGRES = {"DATABASE_URL": "postgres://u:p@db.example.org:5432/cnt"}

# A valid value different from the default for each documented variable, and the profile it
# takes effect in (DB_CONN_MAX_AGE does nothing on SQLite, which never keeps connections).
OTHER_VALUE: dict[str, tuple[str, dict[str, str]]] = {
    "DJANGO_ENV": ("production", {"SECRET_KEY": "s" * 60, "ALLOWED_HOSTS": "example.org"}),
    "SECRET_KEY": ("k" * 60, {}),
    "ALLOWED_HOSTS": ("example.org", {}),
    "CSRF_TRUSTED_ORIGINS": ("https://detox.example.org", {}),
    "DJANGO_DEBUG": ("true", {}),
    "DATABASE_URL": (POSTGRES["DATABASE_URL"], {}),
    "DB_CONN_MAX_AGE": ("5", POSTGRES),
    "CELERY_BROKER_URL": ("redis://127.0.0.1:6379/3", {}),
    "CELERY_BROKER_TIMEOUT_SECONDS": ("7", {}),
    "CELERY_VISIBILITY_TIMEOUT_SECONDS": ("7200", {}),
    "CELERY_TASK_ALWAYS_EAGER": ("true", {}),
    "CNT_RUN_DIR": ("run-elsewhere", {}),
    "SESSION_IDLE_TIMEOUT_SECONDS": ("600", {}),
    "SESSION_ABSOLUTE_TIMEOUT_SECONDS": ("3600", {}),
    "API_TOKEN_TTL_SECONDS": ("3600", {}),
    "SECURE_SSL_REDIRECT": ("false", PRODUCTION),
    "SECURE_HSTS_SECONDS": ("60", PRODUCTION),
    "SECURE_HSTS_PRELOAD": ("false", PRODUCTION),
    "AUDIT_TRUST_X_FORWARDED_FOR": ("true", {}),
    "AUDIT_HASH_KEY": ("h" * 60, {}),
    "AUDIT_SEAL_INTERVAL_SECONDS": ("10", {}),
    "AUDIT_SEAL_BATCH_SIZE": ("100", {}),
    "AUDIT_SEAL_LOOKBACK_ROWS": ("500", {}),
    "AUDIT_UNSEALED_LIMIT_SECONDS": ("120", {}),
    "OTP_REQUIRED_ROLES": ("nurse", {}),
    "OTP_TOTP_ISSUER": ("Other issuer", {}),
    "AXES_FAILURE_LIMIT": ("3", {}),
    "AXES_COOLOFF_MINUTES": ("10", {}),
    "EMERGENCY_ACCESS_MINUTES": ("30", {}),
    "EMAIL_BACKEND": ("django.core.mail.backends.smtp.EmailBackend", {}),
    "EMAIL_HOST": ("mail.example.org", {}),
    "EMAIL_PORT": ("587", {}),
    "EMAIL_HOST_USER": ("mailer", {}),
    "EMAIL_HOST_PASSWORD": ("secret", {}),
    "EMAIL_USE_TLS": ("true", {}),
    "EMAIL_TIMEOUT_SECONDS": ("5", {}),
    "DEFAULT_FROM_EMAIL": ("detox@example.org", {}),
    "FACILITY_NAME": ("Another facility", {}),
    "REPORT_EXPORT_DIR": ("/var/lib/cnt/report-exports", {}),
    "REPORT_EXPORT_RETENTION_HOURS": ("48", {}),
    "REPORT_EXPORT_STUCK_MINUTES": ("60", {}),
    "EQUIVALENCE_DEFAULT_TABLE": ("who-2009", {}),
    "TAPER_STABILISATION_CAP_MG": ("60", {}),
    "CIWA_LATE_ENTRY_MINUTES": ("30", {}),
    "LOG_LEVEL": ("DEBUG", {}),
    "NOTIFICATIONS_REMINDER_LEAD_MINUTES": ("10", {}),
    "NOTIFICATIONS_OVERDUE_CHARGE_NURSE_MINUTES": ("20", {}),
    "NOTIFICATIONS_OVERDUE_PHYSICIAN_MINUTES": ("45", {}),
    "NOTIFICATIONS_CHAIN_DELAY_MINUTES": ("10", {}),
    "DOSE_LATE_MINUTES": ("30", {}),
    "DOSE_MISSED_MINUTES": ("300", {}),
    "PRN_CIWA_WITHIN_MINUTES": ("30", {}),
    "TAPER_SECOND_SIGNATURE": ("false", {}),
    "OFFLINE_PAGE_MAX_AGE_HOURS": ("6", {}),
    "OFFLINE_ENTRY_MAX_AGE_HOURS": ("24", {}),
    "OFFLINE_PRECACHE_DELAY_SECONDS": ("0", {}),
    "AFTERCARE_PATIENT_LINK_HOURS": ("24", {}),
    "AFTERCARE_FOLLOWUP_REMINDER_LEAD_MINUTES": ("60", {}),
    "AFTERCARE_FOLLOWUP_OVERDUE_MINUTES": ("30", {}),
    "FACILITY_PHONE": ("01234 567890", {}),
    "EMERGENCY_PHONE": ("999", {}),
    "NOTIFICATIONS_SWEEP_INTERVAL_SECONDS": ("30", {}),
    "NOTIFICATIONS_RETRY_BASE_SECONDS": ("10", {}),
    "NOTIFICATIONS_RETRY_MAX_SECONDS": ("600", {}),
    "NOTIFICATIONS_MAX_ATTEMPTS": ("3", {}),
    "NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS": ("60", {}),
    "NOTIFICATIONS_REQUEUE_AFTER_SECONDS": ("60", {}),
    "NOTIFICATIONS_HEARTBEAT_STALE_SECONDS": ("90", {}),
    "NOTIFICATIONS_LATE_SECONDS": ("60", {}),
    "NOTIFICATIONS_SITE_URL": ("https://detox.example.org", {}),
}


def documented_variables() -> list[str]:
    """The first-column names of every README table headed "| Variable |"."""
    names: list[str] = []
    in_table = False
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("| Variable |"):
            in_table = True
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table or set(line) <= {"|", "-", " "}:
            continue
        previous = ""
        for token in re.findall(r"`([A-Z_][A-Z0-9_]*)`", line.split("|")[1]):
            if token.startswith("_") and previous:
                # "`NOTIFICATIONS_RETRY_BASE_SECONDS` / `_MAX_SECONDS`": the suffix replaces as
                # many trailing words of the name before it.
                words = previous.split("_")
                token = "_".join(words[: -len(token.strip("_").split("_"))]) + token
            names.append(token)
            previous = token
    return names


class _RecordingEnviron(dict):
    def __init__(self, values: dict[str, str], reads: set[str]) -> None:
        super().__init__(values)
        self.reads = reads

    def get(self, key, default=None):  # type: ignore[override]
        self.reads.add(key)
        return super().get(key, default)

    def __getitem__(self, key):  # type: ignore[override]
        self.reads.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):  # type: ignore[override]
        self.reads.add(key)
        return super().__contains__(key)


def load_settings(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], reads: set[str] | None = None
) -> dict[str, object]:
    """Run settings.py afresh with exactly ``env`` (plus PATH) as the environment."""
    environ = _RecordingEnviron(
        {"PATH": os.environ.get("PATH", "")} | env, reads if reads is not None else set()
    )
    with monkeypatch.context() as patch:
        patch.setattr(os, "environ", environ)
        values = runpy.run_path(str(SETTINGS))
    return {k: repr(v) for k, v in values.items() if k.isupper()}


def test_the_readme_tables_are_found():
    names = documented_variables()
    assert {"DJANGO_ENV", "NOTIFICATIONS_RETRY_MAX_SECONDS", "CIWA_LATE_ENTRY_MINUTES"} <= set(
        names
    )
    assert "_MAX_SECONDS" not in names


def test_every_documented_variable_is_read_by_the_settings(monkeypatch):
    reads: set[str] = set()
    for profile in ({}, PRODUCTION, POSTGRES | {"CELERY_BROKER_URL": "redis://h:6379/0"}):
        load_settings(monkeypatch, profile, reads)
    never_read = sorted(set(documented_variables()) - reads)
    assert never_read == [], f"documented in README but never read: {never_read}"


@pytest.mark.parametrize("name", documented_variables())
def test_every_documented_variable_changes_the_configuration(monkeypatch, name):
    assert name in OTHER_VALUE, f"give {name} a valid non-default value in OTHER_VALUE"
    value, profile = OTHER_VALUE[name]
    before = load_settings(monkeypatch, profile)
    after = load_settings(monkeypatch, profile | {name: value})
    changed = [key for key in after if after[key] != before.get(key)]
    assert changed, f"{name}={value!r} changes no setting"


def test_documented_settings_take_the_values_given(monkeypatch):
    values = load_settings(
        monkeypatch,
        {
            "CIWA_LATE_ENTRY_MINUTES": "30",
            "TAPER_STABILISATION_CAP_MG": "62.5",
            "EQUIVALENCE_DEFAULT_TABLE": "who-2009",
        },
    )
    assert values["CIWA_LATE_ENTRY_MINUTES"] == "30"
    assert values["TAPER_STABILISATION_CAP_MG"] == "Decimal('62.5')"
    assert values["EQUIVALENCE_DEFAULT_TABLE"] == "'who-2009'"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EQUIVALENCE_DEFAULT_TABLE", "ashton-2020"),
        ("TAPER_STABILISATION_CAP_MG", "eighty"),
        ("TAPER_STABILISATION_CAP_MG", "0"),
        ("TAPER_STABILISATION_CAP_MG", "NaN"),
        ("CIWA_LATE_ENTRY_MINUTES", "0"),
        ("CIWA_LATE_ENTRY_MINUTES", "15m"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings(monkeypatch, {name: value})
