"""Intake services: computed intake, validation (nothing half-saved), transfer, discharge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cnt_detox.core.models import AuditEvent
from patients import services
from patients.intake import regimen_pattern
from patients.models import Admission, AdmissionMovement, Patient, SubstanceUse
from patients.services import admissions as admission_services
from tests.factories import make_admission
from tests.patients.conftest import nothing_saved

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def substances(*rows: tuple[str, str], **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "agent": agent,
            "daily_dose_mg": Decimal(dose),
            "days_per_week": 7,
            "duration_months": Decimal("12"),
            "last_dose_at": NOW - dt.timedelta(hours=6),
            **extra,
        }
        for agent, dose in rows
    ]


def admit(actor, bed, *, patient=None, rows=None, **kwargs) -> Admission:
    person = {
        "mrn": "M1",
        "first_name": "Alex",
        "last_name": "Morgan",
        "date_of_birth": dt.date(1979, 3, 2),
        "sex": "female",
        **(patient or {}),
    }
    return services.admission_create(
        actor=actor,
        patient=person,
        unit_id=kwargs.pop("unit_id", bed.unit.public_id),
        bed_id=kwargs.pop("bed_id", bed.public_id),
        admitted_at=kwargs.pop("admitted_at", NOW - dt.timedelta(minutes=10)),
        substances=rows
        if rows is not None
        else substances(("alprazolam", "4"), ("lorazepam", "2")),
        **kwargs,
    )


def test_two_benzodiazepines_give_100_mg_high_expected_and_flags(nurse, bed):
    admission = admit(nurse, bed)
    assert admission.diazepam_equivalent_mg == Decimal("100")
    assert (admission.diazepam_range_low_mg, admission.diazepam_range_high_mg) == (
        Decimal("50"),
        Decimal("100"),
    )
    assert admission.equivalence_table == "ashton-2002"
    assert admission.dose_band == "high"
    assert admission.withdrawal_risk == "expected"
    codes = {f["code"]: f["level"] for f in admission.intake_flags}
    assert codes == {"dose_above_50": "high", "dose_above_15": "elevated"}
    assert all(f["reason"] and f["source"] for f in admission.intake_flags)
    assert admission.setting_recommendation["setting"] == "inpatient"
    assert admission.primary_agent == "alprazolam"
    rows = list(admission.substances.all())
    assert [r.diazepam_mg for r in rows] == [Decimal("80"), Decimal("20")]
    movement = AdmissionMovement.objects.get(admission=admission)
    assert movement.to_bed == bed and movement.from_bed is None
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["patient.created", "admission.created"]
    event = AuditEvent.objects.get(action="admission.created")
    assert event.changes["diazepam_equivalent_mg"]["new"] == "100.00"
    assert event.actor == nurse and event.patient_public_id == admission.patient.public_id


def test_history_age_and_abrupt_stop_raise_flags(nurse, bed):
    rows = substances(("alprazolam", "2"))
    rows[0]["last_dose_at"] = NOW - dt.timedelta(hours=40)
    admission = admit(
        nurse,
        bed,
        patient={"date_of_birth": dt.date(1950, 1, 1)},
        rows=rows,
        history={"withdrawal_seizures": True, "alcohol_dependence": True},
    )
    codes = {f["code"] for f in admission.intake_flags}
    assert {
        "history_withdrawal_seizures_or_epilepsy",
        "short_acting_stopped",
        "high_dose_abrupt_stop_seizure",
        "co_use_cns_depressants",
        "age_65_plus",
    } <= codes
    assert admission.setting_recommendation["setting"] == "inpatient"


def test_other_agent_is_never_converted(nurse, bed):
    rows = substances(("other", "5"), other_agent_text="etizolam")
    admission = admit(nurse, bed, rows=rows)
    row = admission.substances.get()
    assert row.diazepam_mg is None
    assert admission.intake_basis["unconverted"][0]["agent"] == "etizolam"
    assert "titrate to the lowest dose" in admission.intake_basis["unconverted"][0]["reason"]


def test_only_an_unknown_agent_is_an_unknown_dose_not_a_low_one(nurse, bed):
    # Issue 20 item 1: etizolam 2 mg alone showed "0 mg a day, Low dose" and Outpatient.
    admission = admit(nurse, bed, rows=substances(("other", "2"), other_agent_text="etizolam"))
    assert admission.diazepam_equivalent_mg is None
    assert admission.diazepam_range_low_mg is None
    assert admission.dose_band == "unknown"
    assert admission.withdrawal_risk == "expected"  # 12 months, 7 days a week: any dose
    assert admission.dose_text == "unknown: not converted"
    assert "dose_unknown" in {f["code"] for f in admission.intake_flags}
    assert admission.setting_recommendation["setting"] == "undecided"
    assert admission.intake_basis["rules_version"] == "2"


def test_known_and_unknown_agents_give_at_least_the_known_total(nurse, bed):
    rows = substances(("diazepam", "12"), ("other", "2"))
    rows[1]["other_agent_text"] = "etizolam"
    admission = admit(nurse, bed, rows=rows)
    assert admission.diazepam_equivalent_mg == Decimal("12")
    assert admission.dose_text == "at least 12 mg"
    assert admission.dose_band == "unknown"  # moderate or high: not known
    assert "dose_unknown" in {f["code"] for f in admission.intake_flags}


def test_agent_missing_from_the_table_is_not_guessed(nurse, bed):
    admission = admit(nurse, bed, rows=substances(("zolpidem", "10"), ("diazepam", "10")))
    assert admission.diazepam_equivalent_mg == Decimal("10")
    reason = admission.intake_basis["unconverted"][0]["reason"]
    assert "No conversion for zolpidem in table ashton-2002" in reason


def test_regimen_pattern_uses_most_frequent_and_longest():
    rows = [
        SubstanceUse(agent="a", days_per_week=3, duration_months=Decimal("24")),
        SubstanceUse(agent="b", days_per_week=7, duration_months=Decimal("0.5")),
    ]
    assert regimen_pattern(rows) == (7, Decimal("24"))


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"daily_dose_mg": Decimal("-1")}, "substances.0.daily_dose_mg"),
        ({"daily_dose_mg": Decimal("1000.5")}, "substances.0.daily_dose_mg"),
        ({"days_per_week": 0}, "substances.0.days_per_week"),
        ({"days_per_week": 8}, "substances.0.days_per_week"),
        ({"last_dose_at": NOW + dt.timedelta(hours=2)}, "substances.0.last_dose_at"),
        ({"agent": "valium"}, "substances.0.agent"),
        ({"agent": "other"}, "substances.0.other_agent_text"),
    ],
)
def test_bad_substance_is_refused_and_nothing_saved(nurse, bed, override, field):
    rows = substances(("diazepam", "20"))
    rows[0].update(override)
    with pytest.raises(ValidationError) as info:
        admit(nurse, bed, rows=rows)
    assert field in info.value.message_dict
    assert nothing_saved()


def test_no_substances_and_future_admission_refused(nurse, bed):
    with pytest.raises(ValidationError) as info:
        admit(nurse, bed, rows=[], admitted_at=NOW + dt.timedelta(hours=1))
    assert {"substances", "admitted_at"} <= set(info.value.message_dict)
    assert nothing_saved()


def test_failure_after_writes_rolls_everything_back(nurse, bed, monkeypatch):
    def boom(*args, **kwargs):
        raise ValidationError({"x": ["late failure"]})

    # admission_create looks the name up in the module that now holds it.
    monkeypatch.setattr(admission_services, "full_clean_rows", boom)
    with pytest.raises(ValidationError):
        admit(nurse, bed)
    assert nothing_saved()
    assert not AuditEvent.objects.exists()


def test_occupied_bed_unknown_unit_and_unknown_bed(nurse, bed, other_unit):
    make_admission(bed.unit, bed)
    with pytest.raises(ValidationError) as info:
        admit(nurse, bed, patient={"mrn": "NEW"})
    assert "occupied" in info.value.message_dict["bed"][0]
    with pytest.raises(ValidationError) as info:
        admit(nurse, bed, patient={"mrn": "NEW"}, unit_id=other_unit.public_id)
    assert "Unknown unit" in info.value.message_dict["unit"][0]
    other_bed = other_unit.beds.first()
    with pytest.raises(ValidationError) as info:
        admit(nurse, bed, patient={"mrn": "NEW"}, bed_id=other_bed.public_id)
    assert "bed" in info.value.message_dict
    assert not Patient.objects.filter(mrn="NEW").exists()


def test_duplicate_mrn_with_other_identity_is_refused(nurse, unit):
    first, second = unit.beds.order_by("label")[:2]
    admit(nurse, first)
    with pytest.raises(ValidationError) as info:
        admit(nurse, second, patient={"first_name": "Someone", "last_name": "Else"})
    assert "different name or date of birth" in info.value.message_dict["patient.mrn"][0]
    # Same person while still admitted: refused too.
    with pytest.raises(ValidationError) as info:
        admit(nurse, second)
    assert "already admitted" in info.value.message_dict["patient.mrn"][0]
    assert Admission.objects.count() == 1


def test_discharged_patient_is_readmitted_under_the_same_record(nurse, unit):
    first, second = unit.beds.order_by("label")[:2]
    old = admit(nurse, first, admitted_at=NOW - dt.timedelta(days=10))
    services.admission_discharge(
        actor=nurse, admission=old, discharged_at=NOW - dt.timedelta(days=2), reason="done"
    )
    new = admit(nurse, second, patient={"first_name": " alex ", "last_name": "MORGAN"})
    assert new.patient_id == old.patient_id
    assert Patient.objects.count() == 1
    assert AuditEvent.objects.filter(action="admission.created").order_by("id").last().details == {
        "readmission": True
    }


def test_lost_race_on_the_bed_is_a_field_error(nurse, bed, monkeypatch):
    """Two nurses pass the free-bed check together; the partial unique index decides."""
    make_admission(bed.unit, bed)
    original = admission_services._resolve_unit_and_bed

    def no_precheck(actor, unit_id, bed_id):
        real = Admission.objects.filter(bed=bed, discharged_at__isnull=True)
        monkeypatch.setattr(real.__class__, "exists", lambda self: False)
        try:
            return original(actor, unit_id, bed_id)
        finally:
            monkeypatch.undo()

    monkeypatch.setattr(admission_services, "_resolve_unit_and_bed", no_precheck)
    with pytest.raises(ValidationError) as info:
        admit(nurse, bed, patient={"mrn": "RACE"})
    assert "just admitted" in info.value.message_dict["bed"][0]
    assert not Patient.objects.filter(mrn="RACE").exists()


def test_admin_makes_no_clinical_entry(admin_user, bed):
    with pytest.raises(PermissionDenied):
        admit(admin_user, bed)
    assert nothing_saved()


def test_edit_recomputes_and_audits_old_and_new(nurse, bed):
    admission = admit(nurse, bed)
    rows = substances(("diazepam", "10"))
    services.admission_update_intake(
        actor=nurse,
        admission=admission,
        substances=rows,
        history={"epilepsy": True},
        patient={"first_name": "Alexandra"},
    )
    admission.refresh_from_db()
    assert admission.diazepam_equivalent_mg == Decimal("10")
    assert admission.dose_band == "low"
    assert {f["code"] for f in admission.intake_flags} == {
        "history_withdrawal_seizures_or_epilepsy"
    }
    assert admission.patient.first_name == "Alexandra"
    assert [s.agent for s in admission.substances.all()] == ["diazepam"]
    removed = SubstanceUse.all_objects.get(admission=admission, entered_in_error=True)
    assert removed.agent == "lorazepam"
    event = AuditEvent.objects.get(action="admission.updated")
    assert event.changes["diazepam_equivalent_mg"] == {"old": "100.00", "new": "10.00"}
    assert event.changes["epilepsy"] == {"old": False, "new": True}
    assert event.changes["patient.first_name"] == {"old": "Alex", "new": "Alexandra"}
    assert event.changes["substances"]["old"][0]["agent"] == "alprazolam"
    assert event.details["substances_marked_in_error"] == [str(removed.public_id)]


def test_edit_without_change_writes_nothing(nurse, bed):
    admission = admit(nurse, bed)
    services.admission_update_intake(actor=nurse, admission=admission, history={"epilepsy": False})
    assert not AuditEvent.objects.filter(action="admission.updated").exists()


def test_edit_with_bad_dose_leaves_intake_unchanged(nurse, bed):
    admission = admit(nurse, bed)
    with pytest.raises(ValidationError):
        services.admission_update_intake(
            actor=nurse, admission=admission, substances=substances(("diazepam", "5000"))
        )
    admission.refresh_from_db()
    assert admission.diazepam_equivalent_mg == Decimal("100")
    assert admission.substances.count() == 2


def test_transfer_moves_bed_and_writes_movement(nurse, unit, make_user, other_unit):
    nurse.units.add(other_unit)
    first = unit.beds.order_by("label").first()
    admission = admit(nurse, first)
    target = other_unit.beds.order_by("label").first()
    services.admission_transfer(
        actor=nurse,
        admission=admission,
        unit_id=other_unit.public_id,
        bed_id=target.public_id,
        reason="Needs a side room",
    )
    admission.refresh_from_db()
    assert (admission.unit, admission.bed) == (other_unit, target)
    moves = list(admission.movements.order_by("moved_at", "id"))
    assert len(moves) == 2
    assert (moves[1].from_bed, moves[1].to_bed, moves[1].reason) == (
        first,
        target,
        "Needs a side room",
    )
    event = AuditEvent.objects.get(action="admission.transferred")
    assert event.changes["bed"] == {"old": first.label, "new": target.label}


def test_transfer_refuses_occupied_same_and_foreign_beds(nurse, unit, other_unit):
    first, second = unit.beds.order_by("label")[:2]
    admission = admit(nurse, first)
    make_admission(unit, second)
    with pytest.raises(ValidationError, match="occupied"):
        services.admission_transfer(
            actor=nurse,
            admission=admission,
            unit_id=unit.public_id,
            bed_id=second.public_id,
            reason="x",
        )
    with pytest.raises(ValidationError, match="already in this bed"):
        services.admission_transfer(
            actor=nurse,
            admission=admission,
            unit_id=unit.public_id,
            bed_id=first.public_id,
            reason="x",
        )
    with pytest.raises(ValidationError, match="Unknown unit"):
        services.admission_transfer(
            actor=nurse,
            admission=admission,
            unit_id=other_unit.public_id,
            bed_id=other_unit.beds.first().public_id,
            reason="x",
        )
    assert admission.movements.count() == 1


def test_discharge_before_admission_refused_then_discharge(nurse, bed):
    admission = admit(nurse, bed, admitted_at=NOW - dt.timedelta(hours=5))
    with pytest.raises(ValidationError) as info:
        services.admission_discharge(
            actor=nurse,
            admission=admission,
            discharged_at=NOW - dt.timedelta(hours=6),
            reason="done",
        )
    assert "discharged_at" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.admission_discharge(
            actor=nurse, admission=admission, discharged_at=NOW, reason=" "
        )
    assert "reason" in info.value.message_dict
    services.admission_discharge(actor=nurse, admission=admission, discharged_at=NOW, reason="done")
    admission.refresh_from_db()
    assert admission.status == "discharged" and admission.discharged_at == NOW
    with pytest.raises(ValidationError, match="already discharged"):
        services.admission_discharge(
            actor=nurse, admission=admission, discharged_at=NOW, reason="again"
        )
    # The bed is free again.
    admit(nurse, bed, patient={"mrn": "NEXT"})


def test_demo_seeder_is_idempotent(nurse, unit):
    import io

    from patients.demo import DEMO_PATIENTS, seed_demo_patients

    out = io.StringIO()
    seed_demo_patients(unit=unit, stdout=out)
    seed_demo_patients(unit=unit, stdout=out)
    assert Admission.objects.filter(unit=unit).count() == len(DEMO_PATIENTS)
    hale = Admission.objects.get(patient__mrn="DEMO-0001")
    assert hale.diazepam_equivalent_mg == Decimal("100")


def test_a_new_admission_is_due_for_a_ciwa_b_at_admission(nurse, bed):
    # Issue 20 item 4: it showed "No CIWA-B scheduled" and sorted last on the board.
    from assessments.models import ReassessmentSchedule

    at = NOW - dt.timedelta(minutes=10)
    admission = admit(nurse, bed, admitted_at=at)
    schedule = ReassessmentSchedule.objects.get(admission=admission)
    assert schedule.next_due_at == at and schedule.active
    assert schedule.reason == "New admission: first CIWA-B due at admission"
    assert schedule.based_on is None


def test_a_refused_admission_leaves_no_schedule(nurse, bed):
    from assessments.models import ReassessmentSchedule

    with pytest.raises(ValidationError):
        admit(nurse, bed, rows=substances(("diazepam", "-1")))
    assert not ReassessmentSchedule.objects.exists()
