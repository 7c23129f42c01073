"""Property tests: parsers of untrusted input never crash and keep their promises."""

from __future__ import annotations

import pytest
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnt_detox.core.csv_export import escape_cell
from cnt_detox.core.env import env_bool, env_choice, env_int, env_list
from cnt_detox.core.otp import MAX_CODE_LENGTH, normalise_code
from cnt_detox.core.views_audit import AuditFilterForm
from patients.views_emergency import EmergencyAccessForm

text = st.text(max_size=80)
db_settings = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@given(st.one_of(text, st.none(), st.integers(), st.binary(max_size=20)))
def test_normalise_code_returns_a_short_alphanumeric_code_or_nothing(value):
    code = normalise_code(value)
    assert code == "" or (code.isalnum() and len(code) <= MAX_CODE_LENGTH and code == code.lower())


@given(st.text(alphabet="0123456789 -", min_size=1, max_size=12))
def test_normalise_code_ignores_spaces_and_dashes(value):
    digits = "".join(c for c in value if c.isdigit())
    assert normalise_code(value) == digits


@given(text)
def test_env_readers_fail_only_with_a_clear_configuration_error(value):
    environ = {"X": value}
    for read in (
        lambda: env_bool("X", False, environ=environ),
        lambda: env_int("X", 1, minimum=0, maximum=100, environ=environ),
        lambda: env_choice("X", "a", ("a", "b"), environ=environ),
    ):
        try:
            read()
        except ImproperlyConfigured as exc:
            message = str(exc)
        else:
            message = "X"
        assert "X" in message
    parts = env_list("X", [], environ=environ)
    assert all(p == p.strip() and p for p in parts)


@given(text)
def test_csv_cells_never_start_a_formula(value):
    assert str(escape_cell(value))[:1] not in ("=", "+", "-", "@", "\t", "\r")


form_values = st.dictionaries(
    st.sampled_from(["username", "mrn", "action", "since", "until", "page", "reason", "x"]),
    st.one_of(text, st.integers().map(str), st.dates().map(str)),
    max_size=6,
)


@pytest.mark.django_db
@db_settings
@given(form_values)
def test_audit_filter_form_never_crashes(admin_user, data):
    form = AuditFilterForm(data)
    if form.is_valid():
        filters = form.to_filter(admin_user)
        if filters.since and filters.until:
            assert filters.since < filters.until


@given(form_values)
def test_emergency_form_requires_mrn_and_a_real_reason(data):
    form = EmergencyAccessForm(data)
    if form.is_valid():
        assert form.cleaned_data["mrn"].strip()
        assert len(form.cleaned_data["reason"]) >= 10


@pytest.mark.django_db
@db_settings
@given(username=text, password=text)
def test_login_form_never_crashes_and_rejects_unknown_users(username, password, nurse):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.9.9.9")
    form = AuthenticationForm(request, data={"username": username, "password": password})
    assert not form.is_valid() or form.get_user() == nurse
