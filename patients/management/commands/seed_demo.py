"""Create the demo unit, beds and users (development only; idempotent)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cnt_detox.core.demo import run_demo_seeders
from cnt_detox.core.models import User
from cnt_detox.core.roles import Role, user_set_role
from patients.models import Bed, Unit

DEMO_UNIT = "Detox Unit A"
DEMO_TZ = "Europe/London"
DEMO_BEDS = [f"A{n}" for n in range(1, 13)]
DEMO_USERS = [
    ("nurse", "Nora", "Nurse", Role.NURSE),
    ("physician", "Phil", "Physician", Role.PHYSICIAN),
    # An addiction specialist: gives the second signature on plans above 40 mg/day (issue 15).
    ("specialist", "Sam", "Specialist", Role.PHYSICIAN),
    ("admin", "Ada", "Admin", Role.ADMIN),
]


class Command(BaseCommand):
    help = "Create demo unit, beds and users nurse/physician/admin (development only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--password", help="Password for all demo users (else random).")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the demo users already exist (used by `make run`).",
        )
        parser.add_argument(
            "--logins-file",
            help="Also write the logins to this file (development convenience; git-ignored).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run in the production profile.")
        if options["if_empty"] and User.objects.filter(username="nurse").exists():
            self.stdout.write("Demo data already present; logins unchanged.")
            return
        with transaction.atomic():
            unit, _ = Unit.objects.get_or_create(name=DEMO_UNIT, defaults={"time_zone": DEMO_TZ})
            for label in DEMO_BEDS:
                Bed.objects.get_or_create(unit=unit, label=label)
            logins = []
            for username, first, last, role in DEMO_USERS:
                password = options["password"] or secrets.token_urlsafe(12)
                user, _ = User.objects.get_or_create(
                    username=username, defaults={"first_name": first, "last_name": last}
                )
                user.set_password(password)
                user.save()
                user_set_role(user, role)
                if username == "specialist" and not user.is_addiction_specialist:
                    user.is_addiction_specialist = True
                    user.save(update_fields=["is_addiction_specialist"])
                user.units.add(unit)
                logins.append((username, password, role))

            run_demo_seeders(unit=unit, stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo unit {DEMO_UNIT!r} with {len(DEMO_BEDS)} beds.")
        )
        lines = [f"  {username:<10} {password:<20} {role}" for username, password, role in logins]
        self.stdout.write("Demo logins (username / password / role):")
        self.stdout.write("\n".join(lines))
        required = [r for r in settings.OTP_REQUIRED_ROLES if r]
        if required:
            lines.append(
                f"  ({', '.join(required)} will set up two-factor login at first login: "
                "OTP_REQUIRED_ROLES)"
            )
            self.stdout.write(lines[-1])
        if options["logins_file"]:
            path = Path(options["logins_file"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n")
            path.chmod(0o600)
