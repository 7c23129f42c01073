"""24-hour benzodiazepine totals and the PRN gates (clinical/medication.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical.medication import (
    GivenDose,
    PrnOrderFacts,
    diazepam_equivalent,
    prn_gate,
    total_24h,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # the night London moves to summer time


def order(**kw) -> PrnOrderFacts:
    base = {
        "agent": "diazepam",
        "dose_mg": Decimal("5"),
        "min_interval": dt.timedelta(hours=2),
        "max_diazepam_mg_24h": Decimal("40"),
        "ciwa_within": dt.timedelta(minutes=60),
    }
    base.update(kw)
    return PrnOrderFacts(**base)


def test_chlordiazepoxide_counts_as_diazepam_over_2_5():
    assert diazepam_equivalent("chlordiazepoxide", Decimal("25")) == Decimal("10")
    assert diazepam_equivalent("diazepam", Decimal("5")) == Decimal("5")
    with pytest.raises(ValueError, match="not a benzodiazepine"):
        diazepam_equivalent("trazodone", Decimal("50"))
    with pytest.raises(TypeError):
        diazepam_equivalent("diazepam", 5)


def test_total_mixes_agents_across_the_unit_midnight():
    london = ZoneInfo("Europe/London")
    # 22:00 the evening before (London) and 00:30 after midnight: both inside 24 h.
    doses = [
        GivenDose("diazepam", Decimal("10"), dt.datetime(2026, 3, 28, 22, 0, tzinfo=london)),
        GivenDose(
            "chlordiazepoxide", Decimal("25"), dt.datetime(2026, 3, 29, 0, 30, tzinfo=london)
        ),
        # 25 h before: outside the window.
        GivenDose("diazepam", Decimal("10"), NOW - dt.timedelta(hours=25)),
        # exactly 24 h before: outside (the window is (now-24h, now]).
        GivenDose("diazepam", Decimal("7"), NOW - dt.timedelta(hours=24)),
    ]
    assert total_24h(doses, now=NOW) == Decimal("20")


def test_future_doses_do_not_count():
    doses = [GivenDose("diazepam", Decimal("5"), NOW + dt.timedelta(minutes=1))]
    assert total_24h(doses, now=NOW) == 0


def test_naive_times_refused():
    with pytest.raises(ValueError, match="aware"):
        total_24h([], now=dt.datetime(2026, 1, 1))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["diazepam", "chlordiazepoxide"]),
            st.integers(min_value=0, max_value=400),
            st.integers(min_value=-2000, max_value=2000),
        ),
        max_size=30,
    )
)
def test_total_is_the_sum_of_doses_in_the_window(raw):
    doses = [GivenDose(a, Decimal(mg) / 2, NOW + dt.timedelta(minutes=m)) for a, mg, m in raw]
    expected = sum(
        (
            diazepam_equivalent(d.agent, d.mg)
            for d in doses
            if NOW - dt.timedelta(hours=24) < d.given_at <= NOW
        ),
        Decimal(0),
    )
    assert total_24h(doses, now=NOW) == expected
    assert total_24h(doses, now=NOW) >= 0


def test_gate_passes_with_recent_ciwa_and_room_under_the_ceiling():
    result = prn_gate(
        order(),
        now=NOW,
        last_valid_ciwa_at=NOW - dt.timedelta(minutes=59),
        nearest_prn_given_at=NOW - dt.timedelta(hours=2),
        doses_given=[GivenDose("diazepam", Decimal("35"), NOW - dt.timedelta(hours=3))],
    )
    assert result.ok and result.total_after_mg == Decimal("40")


@pytest.mark.parametrize("minutes_ago", [None, 61, 600])
def test_gate_refuses_without_a_recent_ciwa(minutes_ago):
    last = None if minutes_ago is None else NOW - dt.timedelta(minutes=minutes_ago)
    result = prn_gate(
        order(), now=NOW, last_valid_ciwa_at=last, nearest_prn_given_at=None, doses_given=[]
    )
    assert result.codes == ("ciwa",)
    assert "record a CIWA-B now" in result.problems[0][1]


def test_gate_refuses_too_soon_after_last_prn():
    result = prn_gate(
        order(),
        now=NOW,
        last_valid_ciwa_at=NOW,
        nearest_prn_given_at=NOW - dt.timedelta(minutes=119),
        doses_given=[],
    )
    assert result.codes == ("interval",)


def test_gate_refuses_above_the_ceiling_with_totals_in_words():
    result = prn_gate(
        order(agent="chlordiazepoxide", dose_mg=Decimal("25")),
        now=NOW,
        last_valid_ciwa_at=NOW,
        nearest_prn_given_at=None,
        doses_given=[GivenDose("diazepam", Decimal("31"), NOW - dt.timedelta(hours=1))],
    )
    assert result.only_ceiling
    assert result.total_after_mg == Decimal("41")
    assert "41 mg" in result.problems[0][1] and "40 mg" in result.problems[0][1]


def test_no_ceiling_when_order_sets_none():
    result = prn_gate(
        order(max_diazepam_mg_24h=None),
        now=NOW,
        last_valid_ciwa_at=NOW,
        nearest_prn_given_at=None,
        doses_given=[GivenDose("diazepam", Decimal("300"), NOW - dt.timedelta(hours=1))],
    )
    assert result.ok


def test_interval_counts_the_nearest_dose_either_side():
    result = prn_gate(
        order(),
        now=NOW,
        last_valid_ciwa_at=NOW,
        nearest_prn_given_at=NOW + dt.timedelta(minutes=30),
        doses_given=[],
    )
    assert result.codes == ("interval",)


def test_ceiling_counts_a_dose_given_just_after_the_new_one():
    """Two doses recorded at the same moment: the one stamped a second earlier must still see
    the other (the window ending at the later dose holds both)."""
    result = prn_gate(
        order(max_diazepam_mg_24h=Decimal("35"), dose_mg=Decimal("20")),
        now=NOW,
        last_valid_ciwa_at=NOW,
        nearest_prn_given_at=None,
        doses_given=[GivenDose("diazepam", Decimal("20"), NOW + dt.timedelta(seconds=1))],
    )
    assert result.only_ceiling and result.total_after_mg == Decimal("40")


def test_late_entry_checks_the_windows_after_it():
    later = [GivenDose("diazepam", Decimal("30"), NOW + dt.timedelta(hours=20))]
    result = prn_gate(
        order(max_diazepam_mg_24h=Decimal("32"), dose_mg=Decimal("5")),
        now=NOW,
        last_valid_ciwa_at=NOW,
        nearest_prn_given_at=None,
        doses_given=later,
    )
    assert result.only_ceiling and result.total_after_mg == Decimal("35")
    # 25 h later is outside every window that holds both.
    far = [GivenDose("diazepam", Decimal("30"), NOW + dt.timedelta(hours=25))]
    assert prn_gate(
        order(max_diazepam_mg_24h=Decimal("32"), dose_mg=Decimal("5")),
        now=NOW,
        last_valid_ciwa_at=NOW,
        nearest_prn_given_at=None,
        doses_given=far,
    ).ok
