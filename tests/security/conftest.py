"""Fixtures for the security suite: enrolled users, TOTP codes, a seeded victim unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cnt_detox.core import otp
from cnt_detox.core.roles import Role
from tests.factories import make_admission, make_assessment


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "fuzz: schemathesis/Hypothesis fuzzing with a bounded number of examples"
    )


def totp_now(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The code the user's phone shows now (or ``offset_steps`` steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def enrol() -> Callable[[Any], tuple[TOTPDevice, list[str]]]:
    """Give a user a confirmed authenticator and backup codes."""

    def do(user: Any) -> tuple[TOTPDevice, list[str]]:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        return device, otp.new_backup_codes(user)

    return do


@pytest.fixture
def otp_required(settings) -> None:
    settings.OTP_REQUIRED_ROLES = [Role.PHYSICIAN, Role.ADMIN]


@dataclass
class Seeded:
    """One unit's patients and records, and the ids that must never leak to outsiders."""

    unit: Any
    admissions: list[Any]
    assessments: list[Any]
    patients: list[Any] = field(default_factory=list)


@pytest.fixture
def seeded(unit, nurse, physician, admin_user) -> Seeded:
    """The first unit with two admissions, assessments and every feature's demo data."""
    first = make_admission(unit, by=nurse)
    second = make_admission(unit, by=nurse, withdrawal_seizures=True)
    assessments = [
        make_assessment(first, by=nurse, total=12),
        make_assessment(second, by=nurse, total=None),
    ]
    # Each feature registers a demo seeder (cnt_detox.core.demo); running them here puts its
    # objects (plans, notifications, ...) in the walked unit without this suite knowing them.
    from cnt_detox.core.demo import run_demo_seeders

    run_demo_seeders(unit=unit, stdout=StringIO())
    return Seeded(
        unit=unit,
        admissions=[first, second],
        assessments=assessments,
        patients=[first.patient, second.patient],
    )
