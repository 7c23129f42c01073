"""Service tests: what a save stores, flags, schedule, escalations, entered in error."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments import services
from assessments.inputs import AssessmentInput
from assessments.models import (
    Assessment,
    AssessmentFlag,
    Escalation,
    EscalationKind,
    ReassessmentSchedule,
    UnitIntervalRules,
)
from assessments.services import create as create_service
from cnt_detox.core.models import AuditEvent
from tests.factories import items_for_total, make_admission

pytestmark = pytest.mark.django_db


def entry(total: int | None = 10, **kwargs) -> AssessmentInput:
    if total is not None:
        kwargs.setdefault("items", items_for_total(total))
    return AssessmentInput(**kwargs)


def create(admission, nurse, **kwargs):
    key = kwargs.pop("key", None)
    return services.assessment_create(
        admission=admission, actor=nurse, entry=entry(**kwargs), idempotency_key=key
    ).assessment


def test_scored_save_stores_score_flags_schedule_and_audit(admission, nurse, unit):
    a = create(admission, nurse, total=12, vitals={"heart_rate": 90})
    a.refresh_from_db()
    assert (a.total, a.band, a.instrument_code, a.instrument_version) == (
        12,
        "mild",
        "CIWA-B",
        "1989",
    )
    assert a.heart_rate == 90
    assert a.rules_version == "2"  # clinical.risk RULES_VERSION
    codes = {f["code"] for f in a.flags}
    assert "dose_above_50" in codes  # intake facts: 100 mg diazepam equivalent
    assert a.highest_flag_level == "high"
    assert AssessmentFlag.objects.filter(assessment=a).count() == len(a.flags)
    # Mild: 4 h (ciwa-b.md facility default).
    assert a.next_due_at == a.assessed_at + dt.timedelta(hours=4)
    schedule = ReassessmentSchedule.objects.get(admission=admission)
    assert schedule.next_due_at == a.next_due_at and schedule.based_on == a
    assert not Escalation.objects.exists()
    assert AuditEvent.objects.filter(
        action="assessment.created", object_id=str(a.public_id)
    ).exists()
    # Rules were created on demand with the ciwa-b.md defaults.
    rules = UnitIntervalRules.objects.get(unit=unit)
    assert (rules.none_mild_minutes, rules.moderate_minutes, rules.severe_minutes) == (240, 120, 60)


def test_unit_rules_drive_the_interval(admission, nurse, unit):
    UnitIntervalRules.objects.create(unit=unit, moderate_minutes=90)
    a = create(admission, nurse, total=30)
    assert a.next_due_at == a.assessed_at + dt.timedelta(minutes=90)


def test_critical_flag_escalates_and_queues_after_commit(admission, nurse, monkeypatch):
    sent = []
    monkeypatch.setattr(
        create_service, "enqueue_after_commit", lambda name, *ids: sent.append((name, ids))
    )
    a = create(admission, nurse, total=45, seizure=True)
    # Issue 20 item 8: severe AND a critical flag made three escalations with one headline;
    # now one, naming every reason, at the highest level.
    (esc,) = Escalation.objects.filter(assessment=a)
    assert esc.kind == EscalationKind.CRITICAL_FLAG and esc.level == "critical"
    assert [r["kind"] for r in esc.reasons] == ["critical_flag", "severe_band"]
    assert esc.summary == "Seizure since last check (+1 more)"
    assert "Seizure since the last assessment." in esc.reason
    assert "CIWA-B 45: severe withdrawal." in esc.reason
    assert a.notify_physician and a.next_due_at == a.assessed_at + dt.timedelta(hours=1)
    assert {name for name, _ in sent} == {"notifications.escalation_raised"}
    assert len(sent) == 1


def test_unable_to_assess_escalates(admission, nurse):
    a = create(admission, nurse, total=None, unable_reason="difficult_to_rouse")
    assert a.total is None and a.band == ""
    assert a.highest_flag_level == "critical"
    (esc,) = Escalation.objects.filter(assessment=a)
    # Difficult to rouse is itself a critical flag, so that is the escalation's level and kind.
    assert esc.level == "critical" and esc.kind == EscalationKind.CRITICAL_FLAG
    assert esc.summary == "Unable to assess: difficult to rouse"


def test_refused_assessment_escalates_as_unable_to_assess(admission, nurse):
    a = create(admission, nurse, total=None, unable_reason="refused")
    (esc,) = Escalation.objects.filter(assessment=a)
    assert esc.kind == EscalationKind.UNABLE_TO_ASSESS and esc.level == "high"
    assert esc.summary == "Unable to assess: refused"
    assert a.next_due_at == a.assessed_at + dt.timedelta(hours=1)


def test_rise_uses_latest_valid_previous(admission, nurse, unit):
    t0 = timezone.now() - dt.timedelta(minutes=50)
    first = create(admission, nurse, total=5, assessed_at=t0)
    wrong = create(admission, nurse, total=30, assessed_at=t0 + dt.timedelta(minutes=10))
    services.assessment_mark_entered_in_error(assessment=wrong, actor=nurse, reason="wrong patient")
    third = create(admission, nurse, total=16, assessed_at=t0 + dt.timedelta(minutes=20))
    rise = [f for f in third.flags if f["code"] == "ciwa_rise"]
    assert rise and "5 to 16" in rise[0]["reason"]  # compared with the valid one, not 30
    assert Escalation.objects.filter(assessment=third, kind=EscalationKind.CIWA_RISE).exists()
    assert first.pk


def test_late_backfill_is_marked_late_and_does_not_move_schedule(admission, nurse):
    now = timezone.now()
    latest = create(admission, nurse, total=10, assessed_at=now - dt.timedelta(minutes=2))
    late = create(admission, nurse, total=30, assessed_at=now - dt.timedelta(minutes=90))
    assert late.is_late_entry and not latest.is_late_entry
    assert ReassessmentSchedule.objects.get(admission=admission).based_on == latest


def test_entered_in_error_recomputes_schedule_and_keeps_record(admission, nurse):
    now = timezone.now()
    older = create(admission, nurse, total=30, assessed_at=now - dt.timedelta(minutes=30))
    newer = create(admission, nurse, total=5, assessed_at=now - dt.timedelta(minutes=10))
    services.assessment_mark_entered_in_error(assessment=newer, actor=nurse, reason="wrong patient")
    schedule = ReassessmentSchedule.objects.get(admission=admission)
    assert schedule.based_on == older
    assert schedule.next_due_at == older.assessed_at + dt.timedelta(hours=2)
    newer.refresh_from_db()
    assert newer.status == "entered_in_error" and newer.error_reason == "wrong patient"
    assert Assessment.objects.count() == 2
    assert AuditEvent.objects.filter(action="assessment.entered_in_error").count() == 1
    with pytest.raises(ValidationError):
        services.assessment_mark_entered_in_error(assessment=newer, actor=nurse, reason="again")
    with pytest.raises(ValidationError):
        services.assessment_mark_entered_in_error(assessment=older, actor=nurse, reason="  ")


def test_entered_in_error_of_only_assessment_makes_it_due_now(admission, nurse):
    a = create(admission, nurse, total=5)
    services.assessment_mark_entered_in_error(assessment=a, actor=nurse, reason="duplicate")
    schedule = ReassessmentSchedule.objects.get(admission=admission)
    assert schedule.based_on is None
    assert schedule.next_due_at <= timezone.now()


def test_same_key_returns_original_and_different_body_is_refused(admission, nurse):
    key = uuid.uuid4()
    first = services.assessment_create(
        admission=admission, actor=nurse, entry=entry(10), idempotency_key=key
    )
    again = services.assessment_create(
        admission=admission, actor=nurse, entry=entry(10), idempotency_key=key
    )
    assert first.created and not again.created
    assert again.assessment.pk == first.assessment.pk
    with pytest.raises(services.IdempotencyMismatch):
        services.assessment_create(
            admission=admission, actor=nurse, entry=entry(11), idempotency_key=key
        )
    assert Assessment.objects.count() == 1


def test_retry_after_discharge_still_returns_original(admission, nurse):
    key = uuid.uuid4()
    first = services.assessment_create(
        admission=admission, actor=nurse, entry=entry(10), idempotency_key=key
    ).assessment
    admission.discharged_at = timezone.now()
    admission.status = "discharged"
    admission.save()
    again = services.assessment_create(
        admission=admission, actor=nurse, entry=entry(10), idempotency_key=key
    )
    assert again.assessment.pk == first.pk


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"items": [0] * 19}, "items"),
        ({"items": [*[0] * 19, 5]}, "items"),
        ({"items": [None, *[0] * 19]}, "items"),
        ({"total": None}, "items"),
        ({"unable_reason": "refused"}, "unable_to_assess"),
        ({"vitals": {"heart_rate": 0}}, "heart_rate"),
        ({"vitals": {"heart_rate": 400}}, "heart_rate"),
        ({"vitals": {"spo2": 101}}, "spo2"),
        ({"vitals": {"systolic_bp": 80, "diastolic_bp": 120}}, "diastolic_bp"),
        ({"sedation_level": 4}, "sedation_level"),
    ],
)
def test_bad_input_saves_nothing(admission, nurse, kwargs, field):
    with pytest.raises(ValidationError) as info:
        create(admission, nurse, **kwargs)
    assert field in info.value.message_dict
    assert not Assessment.objects.exists() and not AuditEvent.objects.exists()


def test_time_checks(admission, nurse):
    with pytest.raises(ValidationError, match="future"):
        create(admission, nurse, assessed_at=timezone.now() + dt.timedelta(minutes=6))
    with pytest.raises(ValidationError, match="before the patient was admitted"):
        create(admission, nurse, assessed_at=admission.admitted_at - dt.timedelta(minutes=1))
    # A device clock a few minutes fast is accepted.
    create(admission, nurse, assessed_at=timezone.now() + dt.timedelta(minutes=4))


def test_discharged_admission_refused(unit, nurse):
    admission = make_admission(unit, by=nurse)
    admission.discharged_at = timezone.now()
    admission.status = "discharged"
    admission.save()
    with pytest.raises(ValidationError, match="discharged"):
        create(admission, nurse)
    assert not Assessment.objects.exists()


def test_demo_seeder_is_idempotent(unit, nurse, admission):
    import io

    from assessments.demo import seed

    seed(unit=unit, stdout=io.StringIO())
    seed(unit=unit, stdout=io.StringIO())
    assert Assessment.objects.filter(admission=admission).count() == 3
