"""Discharge readiness rules (clinical.discharge): each open item blocks or warns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from clinical.discharge import BLOCK, DISCHARGE_MAX_DIAZEPAM_MG, WARN, Facts, readiness

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)


def facts(**kw):
    base = {
        "discharge_daily_diazepam_mg": None,
        "plan_version": None,
        "open_escalations": 0,
        "ciwa_due_at": None,
        "now": NOW,
        "unrecorded_doses_today": 0,
    }
    return Facts(**{**base, **kw})


def codes(items):
    return [(i.code, i.level) for i in items]


def test_nothing_open_is_ready():
    assert readiness(facts()) == ()


def test_etg_discharge_dose_is_20_mg():
    assert Decimal(20) == DISCHARGE_MAX_DIAZEPAM_MG
    assert readiness(facts(discharge_daily_diazepam_mg=Decimal(20), plan_version=1)) == ()
    items = readiness(facts(discharge_daily_diazepam_mg=Decimal("20.5"), plan_version=2))
    assert codes(items) == [("dose_above_discharge", BLOCK)]
    assert "version 2" in items[0].message and "20.5 mg/day" in items[0].message
    assert "eTG" in items[0].source


def test_open_escalation_blocks():
    assert codes(readiness(facts(open_escalations=2))) == [("open_escalation", BLOCK)]


def test_ciwa_due_in_the_past_warns_not_in_the_future():
    late = readiness(facts(ciwa_due_at=NOW - dt.timedelta(minutes=31)))
    assert codes(late) == [("ciwa_overdue", WARN)]
    assert "31 min" in late[0].message
    assert readiness(facts(ciwa_due_at=NOW + dt.timedelta(minutes=1))) == ()


def test_unrecorded_doses_warn():
    assert codes(readiness(facts(unrecorded_doses_today=1))) == [("doses_unrecorded", WARN)]


def test_plan_waiting_for_second_signature_warns():
    items = readiness(facts(awaiting_second_version=3))
    assert codes(items) == [("plan_awaiting_second_signature", WARN)]
    assert "version 3" in items[0].message


def test_blockers_come_first():
    items = readiness(
        facts(
            unrecorded_doses_today=1,
            ciwa_due_at=NOW - dt.timedelta(hours=1),
            open_escalations=1,
            discharge_daily_diazepam_mg=Decimal(40),
            plan_version=1,
        )
    )
    assert [i.level for i in items] == [BLOCK, BLOCK, WARN, WARN]


@given(st.decimals(min_value=0, max_value=200, places=2))
def test_dose_blocks_exactly_above_the_threshold(mg):
    items = readiness(facts(discharge_daily_diazepam_mg=mg, plan_version=1))
    assert bool(items) == (mg > DISCHARGE_MAX_DIAZEPAM_MG)
