"""What feature apps contribute to shared pages, filled from each app's ``AppConfig.ready()``.

Core and the lower apps must not import the apps above them (architecture.md layers), yet the
menu, the demo seed, the health check, the home page and the patient page show what upper apps
provide. Each upper app registers its part here; the page reads the registry. Registration is
idempotent (keyed by name) because ``ready()`` may run more than once in tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


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
