"""Demo seeder: a signed taper plan for one demo patient (skipped if there is none)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from cnt_detox.core.models import User
from cnt_detox.core.roles import Role
from patients.models import Admission
from tapering import selectors, services
from tapering.models import PlanStatus, TaperPlan
from tapering.services.signing import _complete_second_signature, _complete_signature


def seed_demo_taper_plan(*, unit: Any, stdout: Any) -> None:
    """Idempotent: the first open demo admission without a plan gets a signed plan."""
    if settings.PRODUCTION:
        return

    physician = User.objects.filter(role=Role.PHYSICIAN, units=unit).order_by("id").first()
    admissions = Admission.objects.filter(unit=unit, discharged_at__isnull=True).order_by("id")
    if physician is None or not admissions.exists():
        stdout.write("Taper demo: no demo admission or physician yet; skipped.")
        return
    if TaperPlan.objects.filter(admission__in=admissions).exists():
        stdout.write("Taper demo: a plan already exists; unchanged.")
        return
    for admission in admissions.select_related("patient", "unit"):
        data = selectors.intake_plan_data(admission, admission.unit.local_now().date())
        if not data["agents"]:
            continue
        with transaction.atomic():
            plan = services.plan_create_draft(admission=admission, actor=physician, data=data)
            # The demo user's password is random and unknown here, so the credential check is
            # skipped; everything else (digest, override, doses, audit) is the real signing.
            # seed_demo refuses to run in production, and so does this.
            _complete_signature(
                plan=plan,
                actor=physician,
                expected_version=plan.lock_version,
                override_reason="Demo plan",
                second_factor=False,
                client=None,
            )
        specialist = (
            User.objects.filter(role=Role.PHYSICIAN, units=unit, is_addiction_specialist=True)
            .exclude(pk=physician.pk)
            .first()
        )
        plan.refresh_from_db()
        if plan.status == PlanStatus.AWAITING_SECOND_SIGNATURE and specialist is not None:
            _complete_second_signature(
                plan=plan, actor=specialist, second_factor=False, client=None
            )
        stdout.write(f"Taper demo: signed plan for {admission.patient.full_name}.")
        return
    stdout.write("Taper demo: no admission with a convertible intake; skipped.")
