"""Medication orders and doses through the services: gates, refusals, overrides, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessments.models import Escalation
from cnt_detox.core.models import AuditEvent
from medication import services
from medication.models import MedicationDose, MedicationOrder, OrderStatus
from tests.factories import make_assessment
from tests.medication.conftest import place

pytestmark = pytest.mark.django_db


def ago(**kw) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kw)


def test_order_is_signed_with_digest_and_audited(prn_diazepam, physician):
    assert prn_diazepam.status == OrderStatus.ACTIVE
    assert prn_diazepam.printed_name == physician.display_name
    assert len(prn_diazepam.digest) == 64
    assert prn_diazepam.ciwa_within_minutes == 60  # facility default (not a published threshold)
    assert AuditEvent.objects.filter(action="medication_order.signed").count() == 1


def test_wrong_password_signs_nothing(physician, admission, diazepam):
    data = services.OrderInput(
        item=diazepam, kind="prn", dose_mg=Decimal(5), indication="x", min_interval_minutes=120
    )
    with pytest.raises(ValidationError) as err:
        services.order_place(actor=physician, admission=admission, data=data, password="nope")
    assert "password" in err.value.message_dict
    assert not MedicationOrder.objects.exists()


def test_nurse_cannot_order(nurse, admission, diazepam):
    with pytest.raises(PermissionDenied):
        place(nurse, admission, diazepam)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"dose_mg": Decimal(0)}, "dose_mg"),
        ({"dose_mg": Decimal(5000)}, "dose_mg"),
        ({"indication": ""}, "indication"),
        ({"min_interval_minutes": 1}, "min_interval_minutes"),
        ({"kind": "scheduled", "times": ("25:00",)}, "times"),
        ({"kind": "scheduled", "times": ()}, "times"),
    ],
)
def test_bad_orders_are_field_errors(physician, admission, trazodone, fields, error):
    with pytest.raises(ValidationError) as err:
        place(physician, admission, trazodone, **fields)
    assert error in err.value.message_dict
    assert not MedicationOrder.objects.exists()


def test_change_is_a_new_signed_version(prn_diazepam, physician, admission, diazepam):
    with pytest.raises(ValidationError):
        services.order_place(
            actor=physician,
            admission=admission,
            data=services.OrderInput(
                item=diazepam,
                kind="prn",
                dose_mg=Decimal(10),
                indication="x",
                min_interval_minutes=120,
            ),
            password="correct-horse-battery-staple",
            supersedes=prn_diazepam,
        )  # no reason
    new = services.order_place(
        actor=physician,
        admission=admission,
        data=services.OrderInput(
            item=diazepam,
            kind="prn",
            dose_mg=Decimal(10),
            indication="x",
            min_interval_minutes=120,
        ),
        password="correct-horse-battery-staple",
        supersedes=prn_diazepam,
        change_reason="breakthrough symptoms",
    )
    prn_diazepam.refresh_from_db()
    assert new.version == 2 and new.supersedes == prn_diazepam
    assert prn_diazepam.status == OrderStatus.SUPERSEDED
    with pytest.raises(ValidationError):
        services.dose_record(actor=physician, order=prn_diazepam)


def test_prn_refused_without_recent_ciwa(prn_diazepam, nurse, admission):
    make_assessment(admission, by=nurse, assessed_at=ago(minutes=90))
    with pytest.raises(services.GateRefused) as err:
        services.dose_record(actor=nurse, order=prn_diazepam)
    assert err.value.result.codes == ("ciwa",)
    assert "record a CIWA-B now" in err.value.messages[0]
    assert not MedicationDose.objects.exists()
    # The refused attempt stays in the audit trail.
    assert AuditEvent.objects.filter(action="medication_dose.refused").count() == 1


def test_prn_given_after_recent_ciwa_and_interval_enforced(prn_diazepam, nurse, admission):
    make_assessment(admission, by=nurse, assessed_at=ago(minutes=10))
    dose = services.dose_record(actor=nurse, order=prn_diazepam)
    assert dose.total_24h_diazepam_mg == Decimal("5")
    with pytest.raises(services.GateRefused) as err:
        services.dose_record(actor=nurse, order=prn_diazepam)
    assert err.value.result.codes == ("interval",)


def test_ceiling_counts_taper_and_prn_in_diazepam_equivalents(
    prn_diazepam, nurse, physician, admission, chlordiazepoxide
):
    """36 mg given already (one chlordiazepoxide 50 mg PRN = 20 mg, 16 mg diazepam PRN):
    another 5 mg makes 41 > 40: refused for the nurse, overridable by a physician."""
    make_assessment(admission, by=nurse, assessed_at=ago(hours=3, minutes=10))
    make_assessment(admission, by=nurse, assessed_at=ago(minutes=5))
    cdz = place(
        physician,
        admission,
        chlordiazepoxide,
        dose_mg=Decimal(50),
        min_interval_minutes=15,
        signed_hours_ago=20,
    )
    services.dose_record(actor=nurse, order=cdz, occurred_at=ago(hours=3))
    big = place(
        physician,
        admission,
        prn_diazepam.item,
        dose_mg=Decimal(16),
        min_interval_minutes=15,
        signed_hours_ago=20,
    )
    services.dose_record(actor=nurse, order=big, occurred_at=ago(hours=2, minutes=30))
    with pytest.raises(services.GateRefused) as err:
        services.dose_record(actor=nurse, order=prn_diazepam)
    assert err.value.result.only_ceiling
    assert err.value.result.total_after_mg == Decimal("41")
    with pytest.raises(PermissionDenied):
        services.dose_record(actor=nurse, order=prn_diazepam, override_reason="severe tremor")
    dose = services.dose_record(
        actor=physician, order=prn_diazepam, override_reason="severe tremor, seen by me"
    )
    assert dose.override_by == physician
    assert dose.total_24h_diazepam_mg == Decimal("41")
    escalation = Escalation.objects.get(kind="medication_override")
    assert "41 mg" in escalation.reason and "severe tremor" in escalation.reason
    assert AuditEvent.objects.filter(action="medication_dose.recorded").count() == 3


def test_override_never_bypasses_the_ciwa_gate(prn_diazepam, physician):
    with pytest.raises(services.GateRefused) as err:
        services.dose_record(actor=physician, order=prn_diazepam, override_reason="urgent")
    assert "ciwa" in err.value.result.codes


def test_dose_in_error_leaves_the_total(prn_diazepam, nurse, admission):
    make_assessment(admission, by=nurse, assessed_at=ago(hours=3, minutes=10))
    make_assessment(admission, by=nurse, assessed_at=ago(minutes=5))
    first = services.dose_record(actor=nurse, order=prn_diazepam, occurred_at=ago(hours=3))
    services.dose_mark_in_error(actor=nurse, dose=first, reason="wrong patient")
    second = services.dose_record(actor=nurse, order=prn_diazepam)
    assert second.total_24h_diazepam_mg == Decimal("5")


def test_dose_before_order_or_in_future_refused(prn_diazepam, nurse, admission):
    make_assessment(admission, by=nurse, assessed_at=ago(minutes=5))
    with pytest.raises(ValidationError) as err:
        services.dose_record(actor=nurse, order=prn_diazepam, occurred_at=ago(hours=30))
    assert "occurred_at" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.dose_record(
            actor=nurse, order=prn_diazepam, occurred_at=timezone.now() + dt.timedelta(hours=1)
        )


def test_admin_cannot_record(prn_diazepam, admin_user):
    with pytest.raises(PermissionDenied):
        services.dose_record(actor=admin_user, order=prn_diazepam)


def test_scheduled_adjunct_dose_once_per_time(physician, nurse, admission, trazodone):
    # The dose time is an hour ago on the unit's clock, so the test holds at any hour (a fixed
    # "00:00" today fell before the order's signature when the suite ran late in the day).
    tz = admission.unit.tz
    due = (timezone.now() - dt.timedelta(hours=1)).astimezone(tz).replace(second=0, microsecond=0)
    order = place(
        physician,
        admission,
        trazodone,
        kind="scheduled",
        dose_mg=Decimal(50),
        times=(due.strftime("%H:%M"),),
        indication="",
        signed_hours_ago=20,
    )
    services.dose_record(actor=nurse, order=order, due_at=due, occurred_at=due)
    with pytest.raises(ValidationError, match="already recorded"):
        services.dose_record(actor=nurse, order=order, due_at=due, occurred_at=due)
    with pytest.raises(ValidationError) as err:
        services.dose_record(actor=nurse, order=order, outcome="held")
    assert "reason_text" in err.value.message_dict or "due_at" in err.value.message_dict


def test_discontinue_needs_reason(prn_diazepam, physician, nurse):
    with pytest.raises(ValidationError):
        services.order_discontinue(actor=physician, order=prn_diazepam, reason=" ")
    with pytest.raises(PermissionDenied):
        services.order_discontinue(actor=nurse, order=prn_diazepam, reason="x")
    order = services.order_discontinue(actor=physician, order=prn_diazepam, reason="settled")
    assert order.status == OrderStatus.DISCONTINUED


def test_orders_and_doses_are_never_deleted(prn_diazepam):
    with pytest.raises(Exception, match="never deleted"):
        prn_diazepam.delete()


def test_late_entry_is_judged_by_the_ciwa_before_the_dose(prn_diazepam, nurse, admission):
    """A dose given 3 h ago cannot lean on a CIWA-B recorded 5 min ago."""
    make_assessment(admission, by=nurse, assessed_at=ago(minutes=5))
    with pytest.raises(services.GateRefused) as err:
        services.dose_record(actor=nurse, order=prn_diazepam, occurred_at=ago(hours=3))
    assert err.value.result.codes == ("ciwa",)


def test_override_escalation_reaches_the_on_call_physician(
    prn_diazepam, nurse, physician, admission, unit
):
    from notifications.models import Notification, UnitOnCall
    from notifications.services import sweep

    UnitOnCall.objects.update_or_create(unit=unit, defaults={"on_call_physician": physician})
    make_assessment(admission, by=nurse, assessed_at=ago(minutes=5))
    MedicationOrder.objects.filter(pk=prn_diazepam.pk).update(max_mg_24h=Decimal(4))
    services.dose_record(actor=physician, order=prn_diazepam, override_reason="seen, severe")
    sweep()
    note = Notification.objects.get(escalation__kind="medication_override")
    assert note.recipient == physician
