"""Property tests: parsers of untrusted input never crash and keep their promises."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import exceptions as drf_exceptions

from cnt_detox.core.csv_export import escape_cell
from cnt_detox.core.env import env_bool, env_choice, env_int, env_list
from cnt_detox.core.input_guard import (
    DATE_MESSAGE,
    MAX_JSON_DEPTH,
    MAX_YEAR,
    MIN_YEAR,
    NUL_MESSAGE,
    GuardedJSONParser,
    mapping_problems,
    value_problem,
)
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


# --- The input guard (issue 19): NUL bytes, implausible dates, deep JSON ----------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.dates().map(str),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.text(max_size=60))
def test_value_problem_flags_every_nul(value):
    problem = value_problem(value)
    if "\x00" in value:
        assert problem == NUL_MESSAGE
    else:
        assert problem in (None, DATE_MESSAGE)


@given(st.dates(), st.sampled_from(["", "T00:00", "T23:59:59Z", " 12:00"]))
def test_value_problem_refuses_exactly_the_implausible_years(day, time_part):
    problem = value_problem(day.isoformat() + time_part)
    assert (problem == DATE_MESSAGE) == (not MIN_YEAR <= day.year <= MAX_YEAR)


@given(st.text(alphabet="0123456789", min_size=5, max_size=6000))
def test_value_problem_refuses_years_past_four_digits_without_crashing(year):
    assert value_problem(f"{year}-01-01") == DATE_MESSAGE


@given(st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=6))
def test_query_and_form_problems_name_the_field(data):
    query = QueryDict(mutable=True)
    for key, value in data.items():
        query[key] = value
    problems = mapping_problems(query)
    for key, value in data.items():
        if "\x00" in value or value_problem(value):
            assert key.replace("\x00", "") in problems or "\x00" in key


def _parse(raw: bytes):
    return GuardedJSONParser().parse(BytesIO(raw), "application/json", {})


@given(json_values)
def test_guarded_parser_accepts_clean_json_and_names_bad_fields(value):
    raw = json.dumps(value).encode()
    try:
        parsed, refused = _parse(raw), None
    except drf_exceptions.ValidationError as exc:
        parsed, refused = None, exc.detail
    if refused is None:
        assert parsed == json.loads(raw)
    else:
        assert refused  # names at least one field


@given(st.integers(min_value=MAX_JSON_DEPTH + 2, max_value=6000), st.sampled_from("[{"))
def test_guarded_parser_refuses_deep_nesting_as_a_parse_error(depth, opener):
    raw = "[" * depth + "]" * depth if opener == "[" else '{"a":' * depth + "1" + "}" * depth
    with pytest.raises(drf_exceptions.ParseError):
        _parse(raw.encode())


@given(st.text(max_size=10), st.text(max_size=10))
def test_guarded_parser_refuses_nul_in_keys_and_values(before, after):
    raw = json.dumps({"agents": [{"agent": before + "\x00" + after}]}).encode()
    with pytest.raises(drf_exceptions.ValidationError) as caught:
        _parse(raw)
    assert "agents.0.agent" in caught.value.detail
