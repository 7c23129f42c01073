"""What feature apps contribute to shared pages, filled from each app's ``AppConfig.ready()``.

Core and the lower apps must not import the apps above them (architecture.md layers), yet the
menu, the demo seed, the health check, the home page and the patient page show what upper apps
provide. Each upper app registers its part here; the page reads the registry. Registration is
idempotent (keyed by name) because ``ready()`` may run more than once in tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: tuple[str, ...]
    order: int


@dataclass(frozen=True)
class PatientLink:
    """A button on the patient page; ``url_name`` takes the admission's public id."""

    label: str
    url_name: str
    slot: str
    order: int
    primary: bool = False


@dataclass(frozen=True)
class HealthCheck:
    name: str
    check: Callable[[], tuple[bool, dict[str, Any]]]


PatientContext = Callable[[Any, Any, Any], dict[str, Any]]
DemoSeeder = Callable[..., None]

_nav: dict[str, NavEntry] = {}
_patient_links: dict[str, PatientLink] = {}
_patient_context: dict[str, PatientContext] = {}
_demo_seeders: dict[str, tuple[int, DemoSeeder]] = {}
_health_checks: dict[str, HealthCheck] = {}
_role_home: dict[str, str] = {}


def register_nav(label: str, url_name: str, roles: tuple[str, ...], *, order: int) -> None:
    _nav[url_name] = NavEntry(label, url_name, tuple(roles), order)


def nav_entries() -> list[NavEntry]:
    return sorted(_nav.values(), key=lambda e: e.order)


def register_patient_link(
    label: str, url_name: str, *, slot: str, order: int, primary: bool = False
) -> None:
    _patient_links[f"{slot}:{url_name}"] = PatientLink(label, url_name, slot, order, primary)


def patient_links(slot: str) -> list[PatientLink]:
    return sorted((x for x in _patient_links.values() if x.slot == slot), key=lambda x: x.order)


def register_patient_context(name: str, provider: PatientContext) -> None:
    """``provider(user, admission, now)`` returns extra context for the patient page."""
    _patient_context[name] = provider


def patient_context(user: Any, admission: Any, now: Any) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for name in sorted(_patient_context):
        context.update(_patient_context[name](user, admission, now))
    return context


def register_demo_seeder(name: str, seeder: DemoSeeder, *, order: int) -> None:
    """``seeder(unit=..., stdout=...)``; must be idempotent. Lower ``order`` runs first."""
    _demo_seeders[name] = (order, seeder)


def demo_seeders() -> list[DemoSeeder]:
    return [seeder for _, seeder in sorted(_demo_seeders.values(), key=lambda x: x[0])]


def register_health_check(name: str, check: Callable[[], tuple[bool, dict[str, Any]]]) -> None:
    _health_checks[name] = HealthCheck(name, check)


def health_checks() -> list[HealthCheck]:
    return [_health_checks[name] for name in sorted(_health_checks)]


def register_role_home(role: str, url_name: str) -> None:
    _role_home[role] = url_name


def role_home(role: str) -> str | None:
    return _role_home.get(role)


_patient_panels: dict[str, tuple[int, str]] = {}


def register_patient_panel(name: str, template: str, *, order: int) -> None:
    """A template included at the foot of the patient page, with ``admission`` in its context."""
    _patient_panels[name] = (order, template)


def patient_panels() -> list[str]:
    return [template for _, template in sorted(_patient_panels.values())]


@dataclass(frozen=True)
class TimelineMarker:
    """An event drawn on the CIWA-B chart at its time (e.g. an as-needed dose given).

    ``short`` is the label on the chart ("PRN"); ``text`` says what it was in words, for the
    tooltip and the list under the chart.
    """

    at: Any  # aware datetime
    short: str
    text: str


# ``provider(admission, since, until)`` returns the markers of that admission in the window
# (``since`` None: the whole stay); a fixed number of queries, whatever the number of markers.
TimelineMarkers = Callable[[Any, Any, Any], list[TimelineMarker]]
_timeline_markers: dict[str, TimelineMarkers] = {}


def register_timeline_markers(name: str, provider: TimelineMarkers) -> None:
    _timeline_markers[name] = provider


def timeline_markers(admission: Any, since: Any, until: Any) -> list[TimelineMarker]:
    markers: list[TimelineMarker] = []
    for name in sorted(_timeline_markers):
        markers += _timeline_markers[name](admission, since, until)
    return sorted(markers, key=lambda m: m.at)


_patient_mrns: list[Callable[[set[Any]], dict[Any, str]]] = []


def register_patient_mrns(lookup: Callable[[set[Any]], dict[Any, str]]) -> None:
    """``lookup(public_ids) -> {public_id: mrn}``: the audit viewer names patients by MRN."""
    _patient_mrns[:] = [lookup]


def patient_mrns(public_ids: set[Any]) -> dict[Any, str]:
    return _patient_mrns[0](public_ids) if _patient_mrns and public_ids else {}


@dataclass(frozen=True)
class Reminder:
    """One reminder a feature wants the notifications sweep to create (once, by its key)."""

    admission_id: int
    unit_id: int
    subject_key: str  # stable and prefixed by the source, e.g. "followup:12" (max 80 chars)
    kind: str  # a notifications NotificationKind value listed in the source's ``kinds``
    due_at: dt.datetime
    detail: str = ""
    to_physicians: bool = False  # also the unit's physicians (else its charge nurses only)


class ReminderSource(Protocol):
    """What the sweep asks a feature (follow-up appointments) for: the kinds it owns, what is
    due now, and which of its open reminders are still worth sending."""

    kinds: tuple[str, ...]

    def due(self, now: dt.datetime) -> list[Reminder]: ...

    def still_open(self, subject_keys: Iterable[str]) -> set[str]: ...


_reminder_sources: dict[str, ReminderSource] = {}


def register_reminder_source(name: str, source: ReminderSource) -> None:
    _reminder_sources[name] = source


def reminder_sources() -> list[ReminderSource]:
    return [_reminder_sources[name] for name in sorted(_reminder_sources)]


def source_for_kind(kind: str) -> ReminderSource | None:
    return next((s for s in reminder_sources() if kind in s.kinds), None)
