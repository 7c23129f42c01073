import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from cnt_detox.core.env import env_bool, env_choice, env_int, env_list


def test_bool_reader_accepts_known_words():
    assert env_bool("X", False, environ={"X": "yes"}) is True
    assert env_bool("X", True, environ={"X": "0"}) is False
    assert env_bool("X", True, environ={}) is True


def test_bool_reader_rejects_malformed_value():
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("DJANGO_DEBUG", False, environ={"DJANGO_DEBUG": "ture"})


def test_int_reader_rejects_text_and_out_of_range():
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("N", 1, environ={"N": "ten"})
    with pytest.raises(ImproperlyConfigured, match="below"):
        env_int("N", 1, minimum=5, environ={"N": "2"})


def test_choice_and_list_readers():
    assert env_list("L", ["a"], environ={"L": "x, y,,"}) == ["x", "y"]
    with pytest.raises(ImproperlyConfigured):
        env_choice("E", "development", ("development", "production"), environ={"E": "prod"})


def _run_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "cnt_detox.settings"}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _run_settings({"DJANGO_ENV": "production", "ALLOWED_HOSTS": "example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_requires_allowed_hosts():
    result = _run_settings({"DJANGO_ENV": "production", "SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required" in result.stderr


def test_production_forces_debug_off():
    result = _run_settings(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "example.org",
            "DJANGO_DEBUG": "true",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_malformed_debug_stops_startup():
    result = _run_settings({"DJANGO_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "not a boolean" in result.stderr


def test_database_connections_are_health_checked(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_broker_has_short_timeouts(settings):
    assert settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 10
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"] <= 10
