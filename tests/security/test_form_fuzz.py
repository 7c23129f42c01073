"""Fuzz every HTML form of the app, found at runtime (issue 19 item 2).

Every page route from the resolver is opened as each role with the seeded unit's ids
(tests/security/walker), every ``<form method="post">`` on the answers is collected with its
fields, and each form is sent back with hostile values in every field: NUL bytes, dates in year
1 and 9999, over-long text, and Hypothesis-generated text. No answer may be a 500, and a NUL or
an implausible date must be refused (400) rather than stored. A form added to any page is
fuzzed the moment it appears there; this file knows no form.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.walker import discover_routes, objects_with_ids, urls_for

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

FORM_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# Submitting these would end the session the walk runs in; they take no input to fuzz anyway.
SKIP_ACTIONS = ("/accounts/logout/", "/admin/logout/")
HOSTILE = {
    "nul": "a\x00b",
    "year 1": "0001-01-01",
    "year 1 with time": "0001-01-01T00:00",
    "year 9999": "9999-12-31",
    "year 9999 with time": "9999-12-31T23:59",
}
REFUSED = set(HOSTILE)


@dataclass
class Form:
    page: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return (urlsplit(self.action).path, tuple(sorted(self.fields)))


class _FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._current = Form(self.page, urljoin(self.page, a.get("action") or self.page))
            return
        if self._current is None or not a.get("name"):
            return
        if tag in ("input", "select", "textarea", "button"):
            # The first value seen (a radio group's first choice, a submit button's action).
            self._current.fields.setdefault(a["name"], a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None


def discover_forms(users) -> list[tuple[object, Form]]:
    """(user, form) for every distinct POST form on every page any of ``users`` can open."""
    pool = objects_with_ids()
    found: dict[tuple[str, tuple[str, ...]], tuple[object, Form]] = {}
    for user in users:
        client = Client()
        client.force_login(user)
        for route in discover_routes():
            if route.is_api:
                continue
            for url in list(urls_for(route, pool))[:2]:
                response = client.get(url)
                if response.status_code != 200 or getattr(response, "streaming", False):
                    continue
                if "html" not in response.get("Content-Type", ""):
                    continue
                parser = _FormParser(url)
                parser.feed(response.content.decode(errors="replace"))
                for form in parser.forms:
                    if urlsplit(form.action).path in SKIP_ACTIONS:
                        continue
                    found.setdefault(form.key, (user, form))
    return list(found.values())


_clients: dict[int, Client] = {}


def submit(user, form: Form, values: dict[str, str]):
    # One logged-in client per user and test (a fresh login per post would dominate the time).
    client = _clients.get(user.pk)
    if client is None:
        client = _clients[user.pk] = Client()
        client.force_login(user)
    return client.post(form.action, values)


@pytest.fixture
def forms(seeded, nurse, physician, admin_user):
    _clients.clear()
    found = discover_forms([nurse, physician, admin_user])
    # The app's own forms, at least: admit, CIWA-B entry, taper builder, audit filter.
    actions = {urlsplit(f.action).path for _, f in found}
    assert {"/patients/admit/", "/tapering/", "/core/audit/"} <= actions, sorted(actions)
    return found


def test_every_form_refuses_nul_implausible_dates_and_survives_long_values(forms):
    problems = []
    for user, form in forms:
        editable = [n for n in form.fields if n != "csrfmiddlewaretoken"]
        for label, bad in HOSTILE.items():
            # Every field at once, then the first field alone (the one a view reads first).
            for names in (editable, editable[:1]):
                response = submit(user, form, {**form.fields, **dict.fromkeys(names, bad)})
                status = response.status_code
                if status >= 500:
                    problems.append(f"{form.action} {names}={label!r}: {status}")
                elif label in REFUSED and names and status != 400:
                    problems.append(f"{form.action} {names}={label!r}: {status}, expected 400")
        response = submit(user, form, {**form.fields, **dict.fromkeys(editable, "9" * 5000)})
        if response.status_code >= 500:
            problems.append(f"{form.action} over-long values: {response.status_code}")
    assert problems == []


@settings(
    max_examples=FORM_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_every_form_survives_generated_text(forms, data):
    user, form = data.draw(st.sampled_from(forms))
    names = [n for n in form.fields if n != "csrfmiddlewaretoken"]
    values = dict(form.fields)
    for name in names:
        values[name] = data.draw(
            st.one_of(
                st.just(form.fields[name]),
                st.text(max_size=40),
                st.dates().map(str),
                st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
                st.integers().map(str),
                st.decimals(allow_nan=True, allow_infinity=True).map(str),
            ),
            label=name,
        )
    response = submit(user, form, values)
    assert response.status_code < 500, (form.action, values, response.status_code)
