"""The core registry: what feature apps contribute to shared pages, without core importing them."""

from __future__ import annotations

from django.urls import reverse

from cnt_detox.core import registry
from cnt_detox.core.navigation import nav_for


def test_navigation_by_role(nurse, physician, admin_user):
    labels = {u.role: [i["label"] for i in nav_for(u)] for u in (nurse, physician, admin_user)}
    assert labels["nurse"] == [
        "Unit board",
        "Patients",
        "Admit",
        "Notifications",
        "Follow-ups",
        "Emergency access",
        "API docs",
        "Account",
    ]
    assert "Taper builder" in labels["physician"]
    assert labels["admin"][:2] == ["Reports", "Audit log"]
    assert "Patients" not in labels["admin"]


def test_every_app_registered_its_parts():
    assert [s.__module__ for s in registry.demo_seeders()] == [
        "patients.demo",
        "notifications.demo",
        "assessments.demo",
        "tapering.demo",
        "medication.demo",
        "aftercare.demo",
    ]
    assert [c.name for c in registry.health_checks()] == ["audit_sealer", "sweep"]
    assert [x.url_name for x in registry.patient_links("actions")] == [
        "assessments:new",
        "tapering:plan_for_admission",
    ]
    assert registry.role_home("nurse") == "reports:board"
    assert registry.role_home("admin") == "reports:index"


def test_registration_is_idempotent():
    before = len(registry.nav_entries())
    registry.register_nav("Account", "core:account", ("nurse",), order=120)
    assert len(registry.nav_entries()) == before
    registry.register_nav("Account", "core:account", ("nurse", "physician", "admin"), order=120)


def test_home_without_role_names_units_and_no_patients(client, make_user, unit):
    user = make_user("norole", "nurse", unit)
    user.role = ""
    user.save(update_fields=["role"])
    client.force_login(user)
    page = client.get(reverse("home"))
    assert page.status_code == 200
    assert "no role yet" in page.content.decode()
