import pytest
from django.utils import timezone

from clinical.risk import intake_flags
from patients.intake import intake_facts
from tests.factories import make_admission, make_assessment


@pytest.mark.django_db
def test_factories_build_an_admission_and_assessment(unit, nurse):
    admission = make_admission(unit, by=nurse)
    assert admission.diazepam_equivalent_mg == 100
    flags = intake_flags(intake_facts(admission), as_of=timezone.now())
    assert "dose_above_50" in {f.code for f in flags}
    assessment = make_assessment(admission, by=nurse, total=45)
    assert assessment.band == "severe"
    assert admission.schedule.next_due_at == assessment.next_due_at
