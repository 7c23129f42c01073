"""The save's reads ride on the admission's SELECT (selectors.admission_for_save): they must
give exactly what the separate reads gave, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import selectors
from assessments.facts import facts_of
from assessments.models import AssessmentStatus
from patients.intake import intake_facts
from patients.models import SubstanceUse
from tests.factories import make_admission, make_assessment

pytestmark = pytest.mark.django_db


def test_one_select_brings_the_latest_valid_assessment_and_the_substances(unit, nurse):
    admission = make_admission(unit, by=nurse)
    now = timezone.now()
    make_assessment(admission, by=nurse, total=12, assessed_at=now - dt.timedelta(hours=3))
    latest = make_assessment(admission, by=nurse, total=31, assessed_at=now - dt.timedelta(hours=1))
    wrong = make_assessment(
        admission, by=nurse, total=50, assessed_at=now - dt.timedelta(minutes=5)
    )
    type(wrong).objects.filter(pk=wrong.pk).update(
        status=AssessmentStatus.ENTERED_IN_ERROR, error_reason="wrong patient"
    )
    removed = admission.substances.first()
    SubstanceUse.all_objects.filter(pk=removed.pk).update(entered_in_error=True)

    with CaptureQueriesContext(connection) as queries:
        loaded = selectors.admission_for_save(nurse, admission.public_id)
    assert len([q for q in queries if q["sql"].startswith("SELECT")]) <= 2  # 1 + feature probe

    expected = selectors.latest_valid_assessment(admission)
    assert expected.pk == latest.pk
    got = loaded.latest_valid
    assert got.pk == latest.pk and got.assessed_at == expected.assessed_at
    assert facts_of(got) == facts_of(expected)
    assert intake_facts(loaded, substances=loaded.current_substances) == intake_facts(admission)
    assert removed.pk not in {s.pk for s in loaded.current_substances}


def test_no_assessment_and_no_substances(unit, nurse):
    admission = make_admission(unit, by=nurse, substances=())
    loaded = selectors.admission_for_save(nurse, admission.public_id)
    assert loaded.latest_valid is None and loaded.current_substances == []


def test_other_unit_is_404(unit, nurse, other_nurse):
    from django.http import Http404

    admission = make_admission(unit, by=nurse)
    with pytest.raises(Http404):
        selectors.admission_for_save(other_nurse, admission.public_id)
