"""Seed a facility for the load benchmark with bulk inserts (no services, no per-row saves).

``facility``: 10 units x 30 beds, 30 days of history, about 300 admissions (27 open per
unit, 3 discharged) and about 70,000 CIWA-B assessments, with schedules, substance rows,
movements and one audit row per seeded assessment (so the audit table has a realistic size).
``sweep``: 3,000 open admissions with active schedules, for the reminder-sweep measurement.

Run through ``bench/run.py``; by hand: ``python bench/seed.py facility --out state.json``
with ``DATABASE_URL`` pointing at an empty, migrated database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import secrets
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.djsetup import setup

BATCH = 5000
TIME_ZONE = "Europe/London"
# Regimens seen on a detox unit: (agent, daily mg) pairs, converted with the real tables.
REGIMENS = (
    (("alprazolam", "4"),),
    (("diazepam", "40"),),
    (("lorazepam", "6"), ("temazepam", "20")),
    (("clonazepam", "4"),),
    (("alprazolam", "2"), ("diazepam", "20")),
    (("oxazepam", "60"),),
)


def _regimens() -> list[tuple[Any, str]]:
    from clinical.equivalence import convert_regimen, dose_band

    out = []
    for regimen in REGIMENS:
        conv = convert_regimen([(agent, Decimal(mg)) for agent, mg in regimen])
        out.append((conv, str(dose_band(conv.total_diazepam_mg))))
    return out


def _scores() -> list[Any]:
    """Scored item sets for totals 0..60, spread over the items like a real form."""
    from clinical.ciwa_b import score

    rng = random.Random(7)
    out = []
    for total in range(61):
        items = [0] * 20
        left = total
        while left:
            i = rng.randrange(20)
            if items[i] < 4:
                items[i] += 1
                left -= 1
        out.append(score(items))
    return out


def _users(units: list[Any], password: str) -> dict[str, Any]:
    """Nurses (one per unit), physicians (all units) and an admin, sharing one password.

    Same outcome as ``user_set_role`` (role field, staff flag, role group) with one
    ``ensure_role_groups`` call instead of one per user.
    """
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from cnt_detox.core.models import User
    from cnt_detox.core.roles import Role, ensure_role_groups

    hashed = make_password(password)  # hash once: every bench user shares the password
    specs = [(f"bnurse{i + 1:02d}", Role.NURSE, [u]) for i, u in enumerate(units)]
    specs += [(f"bphys{i + 1:02d}", Role.PHYSICIAN, units) for i in range(4)]
    specs += [("badmin", Role.ADMIN, [])]
    ensure_role_groups()
    groups = {g.name: g for g in Group.objects.all()}
    users = {}
    for username, role, member_of in specs:
        user = User.objects.create(
            username=username,
            password=hashed,
            first_name=username.capitalize(),
            last_name="Bench",
            role=role,
            is_staff=role == Role.ADMIN,
        )
        user.groups.set([groups[role]])
        user.units.set(member_of)
        users[username] = user
    return users


def _make_units(prefix: str, n_units: int, n_beds: int) -> tuple[list[Any], dict[int, list[Any]]]:
    from assessments.models import UnitIntervalRules
    from patients.models import Bed, Unit

    units = Unit.objects.bulk_create(
        [Unit(name=f"{prefix} {i + 1:02d}", time_zone=TIME_ZONE) for i in range(n_units)]
    )
    UnitIntervalRules.objects.bulk_create([UnitIntervalRules(unit=u) for u in units])
    beds = Bed.objects.bulk_create(
        [Bed(unit=u, label=f"B{b + 1:02d}") for u in units for b in range(n_beds)]
    )
    by_unit: dict[int, list[Any]] = {u.pk: [] for u in units}
    for bed in beds:
        by_unit[bed.unit_id].append(bed)
    return units, by_unit


def _admissions(
    plan: list[tuple[Any, Any, dt.datetime, dt.datetime | None]],
    by_user: Any,
    rng: random.Random,
    mrn_prefix: str,
) -> list[Any]:
    """Patients, admissions, substance rows and placements for ``(unit, bed, in, out)``."""
    from patients.models import Admission, AdmissionMovement, Patient, SubstanceUse

    regimens = _regimens()
    patients = Patient.objects.bulk_create(
        [
            Patient(
                mrn=f"{mrn_prefix}{n:06d}",
                first_name=rng.choice(["Alex", "Sam", "Jo", "Chris", "Robin", "Kim", "Lee"]),
                last_name=f"Bench{n:05d}",
                date_of_birth=dt.date(1950 + n % 50, 1 + n % 12, 1 + n % 28),
                sex=rng.choice(["female", "male"]),
            )
            for n in range(len(plan))
        ],
        batch_size=BATCH,
    )
    admissions = []
    regimen_of = []
    for patient, (unit, bed, admitted, discharged) in zip(patients, plan, strict=True):
        conv, band = rng.choice(regimens)
        regimen_of.append(conv)
        admissions.append(
            Admission(
                patient=patient,
                unit=unit,
                bed=bed,
                admitted_at=admitted,
                discharged_at=discharged,
                status="discharged" if discharged else "open",
                discharge_reason="Completed taper" if discharged else "",
                primary_agent=conv.conversions[0].agent,
                diazepam_equivalent_mg=conv.total_diazepam_mg,
                diazepam_range_low_mg=conv.cross_table_range_mg[0],
                diazepam_range_high_mg=conv.cross_table_range_mg[1],
                equivalence_table=conv.table_id,
                equivalence_table_version=conv.table_version,
                dose_band=band,
                withdrawal_seizures=rng.random() < 0.1,
                alcohol_dependence=rng.random() < 0.2,
                created_by=by_user(unit),
            )
        )
    admissions = Admission.objects.bulk_create(admissions, batch_size=BATCH)
    substances, moves = [], []
    for admission, conv in zip(admissions, regimen_of, strict=True):
        for position, c in enumerate(conv.conversions):
            substances.append(
                SubstanceUse(
                    admission=admission,
                    agent=c.agent,
                    daily_dose_mg=c.daily_dose_mg,
                    days_per_week=7,
                    duration_months=Decimal("18"),
                    last_dose_at=admission.admitted_at - dt.timedelta(hours=8),
                    diazepam_mg=c.diazepam_mg,
                    diazepam_range_low_mg=c.range_mg[0],
                    diazepam_range_high_mg=c.range_mg[1],
                    position=position,
                )
            )
        moves.append(
            AdmissionMovement(
                admission=admission,
                to_unit=admission.unit,
                to_bed=admission.bed,
                moved_at=admission.admitted_at,
                moved_by=by_user(admission.unit),
            )
        )
    SubstanceUse.objects.bulk_create(substances, batch_size=BATCH)
    AdmissionMovement.objects.bulk_create(moves, batch_size=BATCH)
    return admissions


def _copy_rows(model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (attname -> value) with PostgreSQL COPY; other columns get defaults.

    COPY because building 70,000 model instances for bulk_create costs about ten times as
    long as the insert itself; every other table of the seed uses bulk_create. On other
    databases this falls back to bulk_create.
    """
    from django.db import connection
    from psycopg.types.json import Jsonb

    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    given = set(rows[0])
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in given}
    json_cols = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    names = [f.attname for f in fields]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            values = []
            for name in names:
                value = row[name] if name in row else defaults[name]
                values.append(Jsonb(value) if name in json_cols and value is not None else value)
            copy.write_row(values)


def _assessments(
    admissions: list[Any],
    *,
    now: dt.datetime,
    interval: dt.timedelta,
    by_user: Any,
    rng: random.Random,
    audit: bool,
) -> tuple[int, dict[int, int]]:
    """Assessments every ``interval`` (with jitter) over each stay.

    Returns the count and, per admission id, the id of its latest assessment.
    """
    from django.db import connection

    from assessments.models import Assessment
    from clinical.risk import RULES_VERSION
    from cnt_detox.core.models import AuditEvent

    scores = _scores()
    rows: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for admission in admissions:
        end = admission.discharged_at or now - dt.timedelta(minutes=rng.randint(5, 200))
        at = admission.admitted_at + dt.timedelta(minutes=30)
        peak = rng.randint(15, 45)
        user = by_user(admission.unit)
        while at < end:
            day = (at - admission.admitted_at).total_seconds() / 86400
            total = max(0, min(60, int(peak * (0.85**day)) + rng.randint(-4, 4)))
            s = scores[total]
            public_id = uuid.uuid4()
            recorded = at + dt.timedelta(minutes=rng.randint(0, 10))
            rows.append(
                {
                    "public_id": public_id,
                    "admission_id": admission.pk,
                    "assessed_at": at,
                    "recorded_at": recorded,
                    "entered_by_id": user.pk,
                    "items": list(s.items),
                    "total": s.total,
                    "band": str(s.band),
                    "heart_rate": rng.randint(60, 110),
                    "systolic_bp": rng.randint(105, 150),
                    "diastolic_bp": rng.randint(60, 95),
                    "temperature_c": Decimal("36.8"),
                    "rules_version": RULES_VERSION,
                    "next_due_at": at + interval,
                    "next_due_reason": "Band-based interval",
                }
            )
            if audit:
                audits.append(
                    {
                        "public_id": uuid.uuid4(),
                        "occurred_at": recorded,
                        "actor_id": user.pk,
                        "actor_username": user.username,
                        "action": "assessment.created",
                        "object_type": "assessments.assessment",
                        "object_id": str(public_id),
                        "patient_public_id": admission.patient.public_id,
                        "changes": {},
                        "details": {"total": s.total, "band": str(s.band)},
                    }
                )
            at += dt.timedelta(seconds=interval.total_seconds() * rng.uniform(0.8, 1.2))
    _copy_rows(Assessment, rows)
    _copy_rows(AuditEvent, audits)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (admission_id) admission_id, id FROM assessments_assessment"
            " ORDER BY admission_id, assessed_at DESC"
        )
        last = dict(cursor.fetchall())
    return len(rows), last


def _schedules(admissions: list[Any], last: dict[int, int], now: dt.datetime, rng: Any) -> int:
    from assessments.models import ReassessmentSchedule

    rows = []
    for admission in admissions:
        if admission.discharged_at is not None:
            continue
        based_on_id = last.get(admission.pk)
        due = now + dt.timedelta(minutes=rng.randint(-120, 240))
        rows.append(
            ReassessmentSchedule(
                admission=admission,
                next_due_at=due,
                interval_minutes=240,
                reason="Band none or mild: every 4 hours",
                based_on_id=based_on_id,
                active=True,
            )
        )
    ReassessmentSchedule.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def seed_facility(
    *,
    units: int = 10,
    beds: int = 30,
    open_per_unit: int = 27,
    days: int = 30,
    target_assessments: int = 70_000,
    seed: int = 42,
) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    rng = random.Random(seed)
    started = time.perf_counter()
    now = timezone.now().replace(microsecond=0)
    window_start = now - dt.timedelta(days=days)
    password = secrets.token_urlsafe(18)
    with transaction.atomic():
        unit_rows, beds_by_unit = _make_units("Bench Unit", units, beds)
        users = _users(unit_rows, password)
        nurse_of = {u.pk: users[f"bnurse{i + 1:02d}"] for i, u in enumerate(unit_rows)}
        plan: list[tuple[Any, Any, dt.datetime, dt.datetime | None]] = []
        for unit in unit_rows:
            unit_beds = beds_by_unit[unit.pk]
            for bed in unit_beds[:open_per_unit]:
                # Most patients of a 30-day window came in early; a few arrived this week.
                age_days = rng.choice([days - 1, days - 2, days - 3, rng.uniform(1, days - 1)])
                plan.append((unit, bed, now - dt.timedelta(days=age_days), None))
            for bed in unit_beds[open_per_unit:]:
                admitted = window_start + dt.timedelta(days=rng.uniform(0, days - 16))
                plan.append((unit, bed, admitted, admitted + dt.timedelta(days=rng.uniform(7, 14))))
        admissions = _admissions(plan, lambda u: nurse_of[u.pk], rng, "BN")
        stay_seconds = sum(
            ((out or now) - max(adm, window_start)).total_seconds() for _, _, adm, out in plan
        )
        interval = dt.timedelta(seconds=stay_seconds / target_assessments)
        count, last = _assessments(
            admissions,
            now=now,
            interval=interval,
            by_user=lambda u: nurse_of[u.pk],
            rng=rng,
            audit=True,
        )
        n_schedules = _schedules(admissions, last, now, rng)
    open_rows = [a for a in admissions if a.discharged_at is None]
    return {
        "seeded_at": now.isoformat(),
        "seconds": round(time.perf_counter() - started, 1),
        "password": password,
        "counts": {
            "units": len(unit_rows),
            "beds": sum(len(b) for b in beds_by_unit.values()),
            "admissions": len(admissions),
            "open_admissions": len(open_rows),
            "assessments": count,
            "schedules": n_schedules,
            "mean_interval_minutes": round(interval.total_seconds() / 60, 1),
        },
        "units": [
            {
                "id": u.pk,
                "public_id": str(u.public_id),
                "name": u.name,
                "nurse": f"bnurse{i + 1:02d}",
                "nurse_id": users[f"bnurse{i + 1:02d}"].pk,
                "admissions": [
                    {
                        "id": a.pk,
                        "public_id": str(a.public_id),
                        "patient_public_id": str(a.patient.public_id),
                    }
                    for a in open_rows
                    if a.unit_id == u.pk
                ],
            }
            for i, u in enumerate(unit_rows)
        ],
        "physicians": [name for name in users if name.startswith("bphys")],
        "admin": "badmin",
    }


def seed_sweep(*, open_admissions: int = 3000, beds_per_unit: int = 100) -> dict[str, Any]:
    """Open admissions with active schedules (a third due now) and their assessments."""
    from django.db import transaction
    from django.utils import timezone

    from assessments.models import ReassessmentSchedule

    rng = random.Random(3)
    started = time.perf_counter()
    now = timezone.now()
    n_units = -(-open_admissions // beds_per_unit)
    with transaction.atomic():
        unit_rows, beds_by_unit = _make_units("Sweep Unit", n_units, beds_per_unit)
        users = _users(unit_rows, secrets.token_urlsafe(18))
        nurse_of = {u.pk: users[f"bnurse{i + 1:02d}"] for i, u in enumerate(unit_rows)}
        plan = []
        for unit in unit_rows:
            for bed in beds_by_unit[unit.pk]:
                if len(plan) < open_admissions:
                    plan.append((unit, bed, now - dt.timedelta(hours=rng.randint(6, 200)), None))
        admissions = _admissions(plan, lambda u: nurse_of[u.pk], rng, "SW")
        count, last = _assessments(
            admissions,
            now=now,
            interval=dt.timedelta(hours=12),
            by_user=lambda u: nurse_of[u.pk],
            rng=rng,
            audit=False,
        )
        n_schedules = _schedules(admissions, last, now, rng)
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "counts": {
            "open_admissions": len(admissions),
            "schedules": n_schedules,
            "assessments": count,
            "due_now": ReassessmentSchedule.objects.filter(
                active=True, next_due_at__lte=timezone.now()
            ).count(),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["facility", "sweep"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--assessments", type=int, default=70_000)
    parser.add_argument("--open-admissions", type=int, default=3000)
    args = parser.parse_args()
    setup()
    if args.what == "facility":
        state = seed_facility(target_assessments=args.assessments)
    else:
        state = seed_sweep(open_admissions=args.open_admissions)
    # Planner statistics as a live database would have them (autovacuum may lag a bulk load).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    args.out.write_text(json.dumps(state, indent=1))
    print(json.dumps(state["counts"]), f"in {state['seconds']} s")


if __name__ == "__main__":
    main()
