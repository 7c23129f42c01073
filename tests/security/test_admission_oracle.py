"""Issue 18.4: admitting another unit's MRN answers one neutral message, and is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cnt_detox.core.models import AuditEvent
from patients import services
from patients.models import Admission
from tests.factories import make_admission
from tests.patients.test_services import admit

pytestmark = pytest.mark.django_db


def refusal(nurse, bed, **patient) -> str:
    with pytest.raises(ValidationError) as info:
        admit(nurse, bed, patient=patient)
    return info.value.message_dict["patient.mrn"][0]


def test_other_units_mrn_gives_the_same_answer_whatever_is_true(
    nurse, unit, other_unit, other_nurse
):
    bed = unit.beds.order_by("label").first()
    admitted = make_admission(other_unit, by=other_nurse)
    left = make_admission(other_unit, by=other_nurse)
    services.admission_discharge(
        actor=other_nurse,
        admission=left,
        discharged_at=left.admitted_at + dt.timedelta(hours=1),
        reason="done",
    )
    p, q = admitted.patient, left.patient
    same = {"first_name": p.first_name, "last_name": p.last_name, "date_of_birth": p.date_of_birth}
    answers = {
        # the right identity of a patient admitted on another unit
        refusal(nurse, bed, mrn=p.mrn, **same),
        # a wrong identity for an admitted patient of another unit
        refusal(nurse, bed, mrn=p.mrn, first_name="Someone"),
        # a wrong identity for a discharged patient of another unit
        refusal(nurse, bed, mrn=q.mrn, first_name="Someone"),
    }
    assert answers == {services.NEUTRAL_MRN_CONFLICT}
    assert Admission.objects.filter(unit=unit).count() == 0
    events = AuditEvent.objects.filter(action="admission.mrn_conflict_refused", actor=nurse)
    assert events.count() == 3
    assert {e.details["reason"] for e in events} == {"admitted_elsewhere", "different_identity"}


def test_the_admit_page_says_the_same(client, nurse, unit, other_unit, other_nurse):
    from tests.patients.test_views import form_data

    bed = unit.beds.order_by("label").first()
    theirs = make_admission(other_unit, by=other_nurse)
    client.force_login(nurse)
    page = client.post(reverse("patients:admit"), form_data(bed, mrn=theirs.patient.mrn))
    assert page.status_code == 400
    html = page.content.decode()
    assert "different name" not in html and "already admitted" not in html
    assert "cannot be admitted with these details" in html
    assert AuditEvent.objects.filter(action="admission.mrn_conflict_refused").count() == 1


def test_own_units_conflicts_keep_their_precise_message(nurse, unit):
    first, second = unit.beds.order_by("label")[:2]
    admit(nurse, first)
    assert "already admitted" in refusal(nurse, second)
    assert "different name or date of birth" in refusal(nurse, second, first_name="Someone")
