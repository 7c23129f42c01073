"""Walk EVERY route with users who must not see the data, and prove they get nothing.

Routes come from the URL resolver at runtime and ids from the seeded rows, so an endpoint
added later is covered without touching this file. It fails when:

- an anonymous request to a route outside PUBLIC gets anything but a login redirect, 401,
  403, 404 or 405;
- a user of ANOTHER unit (each role) gets a 2xx/3xx for a route filled with this unit's ids,
  or any response at all that contains this unit's patient identifiers;
- a user of the right unit but the wrong role (ROLE_RULES) gets through;
- anything answers 500;
- a page or API answer with an id shows a patient's identity without an audit row for them.

Extend ROLE_RULES when a feature adds a role-restricted page (e.g. plan signing).
"""

from __future__ import annotations

import fnmatch
import json

import pytest
from django.test import Client

from cnt_detox.core.roles import Role
from tests.security.walker import Route, discover_routes, objects_with_ids, urls_for

pytestmark = pytest.mark.django_db

# Open to anonymous users: logging in, health, API schema/docs, token exchange, the app shell's
# service worker and manifest (code and names only). Logging out when not logged in is harmless.
PUBLIC = {"login", "healthz", "api-schema", "api-docs", "api-token", "admin:login", "admin:logout"}
PUBLIC |= {"service-worker", "web-manifest"}
# The FHIR CapabilityStatement is public by FHIR convention (no patient data).
PUBLIC |= {"fhir:metadata"}
# Fine for any logged-in user whatever their unit (they show only the user's own things).
ANY_ROLE = PUBLIC | {
    "home",
    "logout",
    "offline-queue",
    "offline-state",
    "api-units",
    "api-session",
    "session-keepalive",
    "core:account",
    "core:password-change",
    "core:otp-verify",
    "core:otp-setup",
    "core:otp-backup-codes",
    "core:otp-remove",
    "core:api-tokens-revoke",
    "api-logout",
    "admin:logout",
    "admin:jsi18n",
    "admin:password_change",
    "admin:password_change_done",
    "fhir:questionnaire",  # the CIWA-B form definition: no patient data
}
N, P, A = Role.NURSE, Role.PHYSICIAN, Role.ADMIN
# (route name glob, roles that may use it). First match wins.
ROLE_RULES: list[tuple[str, set[str]]] = [
    ("admin:*", {A}),
    ("core:audit*", {A}),
    ("patients:emergency-*", {A}),
    ("patients:emergency", {N, P}),
    ("tapering:*sign*", {P}),
    ("api-tapering-*sign*", {P}),
    ("fhir:export-*", {A}),
    ("fhir:*", {N, P}),
]
LOGIN_PREFIXES = ("/accounts/login/", "/admin/login/")
DENIED = {401, 403, 404, 405}


def allowed_roles(route: Route) -> set[str] | None:
    for pattern, roles in ROLE_RULES:
        if fnmatch.fnmatch(route.name, pattern):
            return roles
    return None


@pytest.fixture
def secrets(seeded) -> list[str]:
    """Strings that identify the seeded unit's patients: none may reach an outsider."""
    from patients.models import Admission, Patient

    values = []
    for patient in Patient.objects.filter(admissions__unit=seeded.unit).distinct():
        values += [patient.mrn, patient.last_name, str(patient.public_id)]
    values += [str(a.public_id) for a in Admission.objects.filter(unit=seeded.unit)]
    return values


def _request(client: Client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        return client.generic(method, url, json.dumps({}), content_type="application/json")
    return client.generic(method, url, "", content_type="application/x-www-form-urlencoded")


def _text(response) -> str:
    if getattr(response, "streaming", False):
        if not hasattr(response, "_walk_text"):
            response._walk_text = b"".join(response.streaming_content).decode(errors="replace")
        return response._walk_text
    return response.content.decode(errors="replace")


def _leaks(response, secrets: list[str]) -> list[str]:
    body = _text(response)
    return [s for s in secrets if s in body]


@pytest.fixture
def walk(seeded, secrets):
    routes = discover_routes()
    assert len(routes) > 10

    def run(client: Client, *, pool, methods=("GET", "POST"), check) -> list[str]:
        problems: list[str] = []
        for route in routes:
            for url in urls_for(route, pool):
                for method in methods:
                    response = _request(client, method, url)
                    message = check(route, method, url, response)
                    if message:
                        problems.append(f"{method} {url} ({route.name or 'unnamed'}): {message}")
        return problems

    return run


def test_anonymous_gets_nothing_outside_the_public_routes(walk, client, secrets):
    pool = objects_with_ids()

    def check(route, method, url, response):
        status = response.status_code
        if status >= 500:
            return f"server error {status}"
        leaks = _leaks(response, secrets)
        if leaks:
            return f"leaks {leaks}"
        if route.name in PUBLIC:
            return None
        if status in DENIED:
            return None
        if status in (301, 302) and response["Location"].startswith(LOGIN_PREFIXES):
            return None
        if status == 301:  # APPEND_SLASH and similar: the target is walked on its own
            return None
        return f"answered {status} without a login"

    problems = walk(client, pool=pool, check=check)
    assert not problems, "\n".join(problems)


ADMIN_NOT_FOUND = {"/admin/"}


def seeded_staff_and_units(outsider, other_unit) -> list[str]:
    """Usernames and unit names of every unit but the outsider's: an admin of another unit
    must find none of them in the admin site."""
    from cnt_detox.core.models import User
    from patients.models import Unit

    names = list(
        User.objects.exclude(units=other_unit)
        .exclude(pk=outsider.pk)
        .values_list("username", flat=True)
    )
    return names + list(Unit.objects.exclude(pk=other_unit.pk).values_list("name", flat=True))


def outsider_problems(walk, outsider, other_unit, secrets) -> list[str]:
    admin_secrets = seeded_staff_and_units(outsider, other_unit)
    own = {("user", outsider.pk), ("unit", other_unit.pk)}
    own |= {("bed", pk) for pk in other_unit.beds.values_list("pk", flat=True)}
    pool = objects_with_ids(exclude=own)
    client = Client()
    client.force_login(outsider)

    def check(route, method, url, response):
        status = response.status_code
        if status >= 500:
            return f"server error {status}"
        leaks = _leaks(response, secrets)
        if leaks:
            return f"leaks {leaks}"
        admin_site = route.namespace == "admin" and outsider.role == Role.ADMIN
        if admin_site:
            # The admin site is scoped to the admin's units (issue 18.2): no staff or unit
            # of the seeded unit on any page, lists included.
            staff = _leaks(response, admin_secrets)
            if staff:
                return f"shows another unit's staff or unit {staff}"
        if not route.params or route.name in ANY_ROLE:
            return None  # no id of the other unit in the request; leaks checked above
        if admin_site and status in (302, 301) and response["Location"] in ADMIN_NOT_FOUND:
            return None  # the admin site's "not found" is a redirect to its index
        if status in DENIED:
            return None
        if status == 302 and response["Location"].startswith(LOGIN_PREFIXES):
            return None
        return f"answered {status} to a user of another unit"

    return walk(client, pool=pool, check=check)


@pytest.mark.parametrize("who", ["other_nurse", "other_physician", "other_admin"])
def test_users_of_another_unit_get_nothing(walk, request, make_user, other_unit, secrets, who):
    if who == "other_admin":
        outsider = make_user("admin2", Role.ADMIN, other_unit)
    else:
        outsider = request.getfixturevalue(who)
    problems = outsider_problems(walk, outsider, other_unit, secrets)
    assert not problems, "\n".join(problems)


def test_the_walk_catches_an_endpoint_without_unit_checks(
    settings, seeded, other_nurse, other_unit, secrets
):
    """Proof that the suite bites: a view that forgets the unit check is reported."""
    settings.ROOT_URLCONF = "tests.security.leaky_urls"
    routes = discover_routes()
    assert any(r.name == "leaky-admission" for r in routes)
    problems: list[str] = []

    def walk(client, *, pool, methods=("GET",), check):
        for route in routes:
            if route.name.startswith("leaky"):
                for url in urls_for(route, pool):
                    message = check(route, "GET", url, client.get(url))
                    if message:
                        problems.append(message)
        return problems

    outsider_problems(walk, other_nurse, other_unit, secrets)
    assert any("leaks" in p for p in problems)
    assert any("answered 200" in p or "leaks" in p for p in problems)


@pytest.mark.parametrize("who", ["nurse", "physician", "admin_user"])
def test_wrong_role_is_refused_and_nothing_errors(walk, request, who):
    user = request.getfixturevalue(who)
    pool = objects_with_ids()
    client = Client()
    client.force_login(user)

    def check(route, method, url, response):
        status = response.status_code
        if status >= 500:
            return f"server error {status}"
        roles = allowed_roles(route)
        if route.name in ANY_ROLE or roles is None or user.role in roles:
            return None
        if status in DENIED:
            return None
        if status == 302 and response["Location"].startswith(LOGIN_PREFIXES):
            return None
        return f"answered {status} to the wrong role ({user.role})"

    problems = walk(client, pool=pool, methods=("GET",), check=check)
    assert not problems, "\n".join(problems)


def test_walker_sees_every_feature_namespace():
    names = {r.name for r in discover_routes()}
    assert {"login", "api-units", "core:audit", "patients:emergency"} <= names
    # The allowlists name only routes that exist, so they cannot silently grow stale.
    assert names >= PUBLIC and names >= ANY_ROLE


def unaudited_patient_pages(user, seeded) -> list[str]:
    """Routes with an id whose 200 answer names a seeded patient (MRN or surname) without
    adding an audit row that carries that patient's public id."""
    from cnt_detox.core.models import AuditEvent

    client = Client()
    client.force_login(user)
    pool = objects_with_ids()
    problems = []
    for route in discover_routes():
        if not route.params or route.namespace == "admin":
            continue
        for url in urls_for(route, pool):
            before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            response = client.get(url)
            if response.status_code != 200:
                continue
            text = _text(response)
            for patient in seeded.patients:
                if patient.mrn in text or patient.last_name in text:
                    audited = AuditEvent.objects.filter(
                        id__gt=before, patient_public_id=patient.public_id
                    ).exists()
                    if not audited:
                        problems.append(f"GET {url} ({route.name}) showed {patient.mrn} unaudited")
    return problems


@pytest.mark.parametrize("who", ["nurse", "physician"])
def test_every_patient_page_leaves_an_audit_event(seeded, request, who):
    problems = unaudited_patient_pages(request.getfixturevalue(who), seeded)
    assert not problems, "\n".join(problems)


def test_the_audit_check_catches_an_unaudited_patient_page(settings, seeded, nurse):
    settings.ROOT_URLCONF = "tests.security.leaky_urls"
    problems = unaudited_patient_pages(nurse, seeded)
    assert any("leaky-admission" in p for p in problems)


# --- Break the glass (issue 18.5) ---------------------------------------------------------------


def _grant(user, admission, *, minutes=60):
    import datetime as dt

    from django.utils import timezone

    from patients.models import EmergencyAccess

    now = timezone.now()
    return EmergencyAccess.objects.create(
        user=user,
        admission=admission,
        reason="Walk: patient collapsed on the corridor",
        granted_at=now,
        expires_at=now + dt.timedelta(minutes=minutes),
    )


# Rows a grant-holder reaches through another model: (lookup to the admission, in order).
_TO_ADMISSION = (
    "admission",
    "plan__admission",
    "scheduled_dose__plan__admission",
    "order__admission",
)
# Addressed to one recipient, not to whoever may open the admission.
_PERSONAL = {"notification", "emergencyaccess"}


def _admission_pool(admission):
    """The walker's ids, limited to one row per model of one admission."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    from tests.security.walker import Obj

    chosen = [Obj("admission", admission.public_id, admission.pk)]
    for model in apps.get_models():
        name = model._meta.model_name
        if name in _PERSONAL or name == "admission":
            continue
        for path in _TO_ADMISSION:
            try:
                model._meta.get_field(path.split("__")[0])
            except FieldDoesNotExist:
                continue
            row = model._default_manager.filter(**{path: admission}).order_by("pk").first()
            if row is not None:
                chosen.append(Obj(name, getattr(row, "public_id", None), row.pk))
            break
    return chosen


def _named(route, param, kind, pool):
    """Ids for one parameter from pool rows of the model the route or parameter names, or
    None when it names none of them (then the route is not about this admission's rows)."""
    from tests.security.walker import _segments

    segments = _segments(route)
    flat = param.lower().replace("_", "")
    singular = {seg.removesuffix("s") for seg in segments if len(seg) >= 4}

    def names(model: str) -> bool:
        return (
            model in flat
            or model in segments
            or f"{model}s" in segments
            or any(seg in model for seg in singular)  # "orders" -> medicationorder
        )

    rows = [o for o in pool if names(o.model)]
    if not rows:
        return None
    if kind == "uuid":
        return [o.public_id for o in rows if o.public_id] or None
    return [o.public_id or o.pk for o in rows]


def grant_holder_gaps(user, admission) -> list[str]:
    """GET routes about the granted admission's rows (every id parameter names a model of
    which the admission has a row) where no such URL answers anything but 404 to the
    grant-holder: a part of the admission the grant does not open."""
    import itertools

    from tests.security.walker import fill

    pool = _admission_pool(admission)
    client = Client()
    client.force_login(user)
    gaps = []
    for route in discover_routes():
        # The patient's own phone link takes a secret token, not an id of the admission's rows.
        if not route.params or route.namespace in ("admin", "aftercare-public"):
            continue
        roles = allowed_roles(route)
        if roles is not None and user.role not in roles:
            continue
        options = [_named(route, name, kind, pool) for name, kind in route.params]
        if any(values is None for values in options):
            continue
        names = [name for name, _ in route.params]
        statuses = {}
        for combo in itertools.islice(itertools.product(*options), 12):
            url = fill(route, dict(zip(names, combo, strict=True)))
            statuses[url] = client.get(url).status_code
        errors = [url for url, status in statuses.items() if status >= 500]
        if errors:
            gaps.append(f"GET {errors[0]} ({route.name}): server error")
        elif statuses and set(statuses.values()) == {404}:
            gaps.append(f"GET {next(iter(statuses))} ({route.name}): 404 to a grant-holder")
    return gaps


@pytest.mark.parametrize("who", ["other_nurse", "other_physician"])
def test_a_grant_opens_the_whole_admission(seeded, request, who):
    user = request.getfixturevalue(who)
    # The seeded admission with the most to open (a plan with doses, assessments).
    admission = max(seeded.admissions, key=lambda a: (a.taper_plans.count(), a.pk))
    _grant(user, admission)
    gaps = grant_holder_gaps(user, admission)
    assert not gaps, "\n".join(gaps)


@pytest.mark.parametrize("who", ["other_nurse", "other_physician"])
def test_after_the_grant_expires_every_path_is_closed(walk, request, other_unit, secrets, who):
    user = request.getfixturevalue(who)
    seeded = request.getfixturevalue("seeded")
    for admission in seeded.admissions:
        _grant(user, admission, minutes=0)
    problems = outsider_problems(walk, user, other_unit, secrets)
    assert not problems, "\n".join(problems)
