"""Recompute every signed plan's digest and report mismatches (exit status 1 if any).

Checks, per signed plan version: SHA-256 of the stored canonical JSON equals the signature's
digest (and the specialist's second signature's, where there is one); with ``--rebuild`` also
that the stored inputs still build the same canonical JSON under the current domain code (a
difference there means a rule or table changed since).

A plan signed under an older taper rules version (``clinical.taper.rules.RULES_VERSION``) is not
rebuilt: the current code carries the newer rules, so its content would differ by design. Its
digest is still checked, and the report names how many were kept as signed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinical.taper.plan import build_plan, canonical_json
from clinical.taper.rules import RULES_VERSION
from tapering.inputs import request_from_stored
from tapering.models import PlanSecondSignature, PlanSignature
from tapering.services import digest_of


class Command(BaseCommand):
    help = "Verify the SHA-256 digest of every signed taper plan; non-zero exit on mismatch."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Also rebuild each plan from its stored inputs and compare the content.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bad: list[str] = []
        checked = 0
        older = 0
        signatures = PlanSignature.objects.select_related("plan").order_by("id").iterator()
        for signature in signatures:
            plan = signature.plan
            checked += 1
            name = f"plan {plan.public_id} v{plan.version}"
            if digest_of(plan.canonical_json) != signature.digest:
                bad.append(f"{name}: stored content does not match the signed digest")
            elif options["rebuild"] and plan.rules_version != RULES_VERSION:
                older += 1
            elif options["rebuild"]:
                try:
                    rebuilt = canonical_json(build_plan(request_from_stored(plan.inputs)))
                except Exception as err:  # any failure to rebuild is a finding, not a crash
                    bad.append(f"{name}: cannot rebuild from stored inputs ({err})")
                    continue
                if rebuilt != plan.canonical_json:
                    bad.append(f"{name}: stored inputs no longer build the signed content")
        # A specialist's second signature approves the same content: its digest must match too.
        for second in PlanSecondSignature.objects.select_related("plan").order_by("id").iterator():
            if second.digest != digest_of(second.plan.canonical_json):
                bad.append(
                    f"plan {second.plan.public_id} v{second.plan.version}: second signature "
                    "does not match the stored content"
                )
        for line in bad:
            self.stderr.write(f"MISMATCH {line}")
        if bad:
            raise CommandError(f"{len(bad)} of {checked} signed plans failed verification.")
        self.stdout.write(f"All {checked} signed plans verified.")
        if older:
            self.stdout.write(
                f"{older} signed under an older rules version: digest verified, not rebuilt "
                f"(current rules version {RULES_VERSION})."
            )
