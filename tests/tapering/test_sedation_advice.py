"""The dose page's hold advice is the one rule in clinical.risk.sedation, read from the latest
valid assessment (a branch removed there fails here as well as in tests/clinical)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tapering.selectors import sedation_advice
from tests.factories import make_admission, make_assessment


@pytest.mark.parametrize(
    ("fields", "hold"),
    [
        ({"total": 10, "sedation_level": 1}, False),
        ({"total": 10, "sedation_level": 2}, True),
        ({"total": 10, "sedation_level": 3}, True),
        ({"total": None, "unable_reason": "difficult_to_rouse"}, True),
        ({"total": None, "unable_reason": "confused"}, True),
        ({"total": None, "unable_reason": "asleep_easily_roused"}, False),
    ],
)
def test_hold_follows_latest_valid_assessment(unit, nurse, fields, hold):
    admission = make_admission(unit, by=nurse)
    make_assessment(
        admission,
        by=nurse,
        total=10,
        sedation_level=3,
        assessed_at=timezone.now() - dt.timedelta(hours=1),
    )
    make_assessment(admission, by=nurse, **fields)
    assert sedation_advice(admission)["hold"] is hold


def test_no_assessment_no_hold(unit, nurse):
    assert sedation_advice(make_admission(unit, by=nurse))["hold"] is False
