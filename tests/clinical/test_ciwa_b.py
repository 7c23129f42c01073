"""Tests for the CIWA-B instrument (shared/domain/ciwa-b.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical import ciwa_b
from clinical.ciwa_b import (
    BAND_LABELS,
    INSTRUMENT_CODE,
    INSTRUMENT_VERSION,
    ITEM_COUNT,
    ITEM_MAX,
    ITEM_MIN,
    ITEMS,
    SEDATION_LEVELS,
    TOTAL_MAX,
    UNABLE_REASON_LABELS,
    Band,
    Rater,
    ScoringError,
    UnableReason,
    band_for_total,
    score,
)

valid_items = st.lists(
    st.integers(min_value=ITEM_MIN, max_value=ITEM_MAX), min_size=ITEM_COUNT, max_size=ITEM_COUNT
)


def test_constants() -> None:
    assert (INSTRUMENT_CODE, INSTRUMENT_VERSION) == ("CIWA-B", "1989")
    assert (ITEM_COUNT, ITEM_MIN, ITEM_MAX, TOTAL_MAX) == (20, 0, 4, 80)


def test_twenty_items_in_order_with_17_patient_and_3_nurse() -> None:
    assert len(ITEMS) == 20
    assert [item.number for item in ITEMS] == list(range(1, 21))
    raters = [item.rater for item in ITEMS]
    assert raters.count(Rater.PATIENT) == 17
    assert raters.count(Rater.NURSE) == 3
    assert [item.number for item in ITEMS if item.rater == Rater.NURSE] == [18, 19, 20]


def test_item_labels_follow_source() -> None:
    assert ITEMS[0].label == "Irritable"
    assert ITEMS[14].label.startswith("Visual disturbances")
    assert ITEMS[16].label == "Worrying about possible misfortunes"
    assert ITEMS[18].label.startswith("Tremor")


def test_anchors() -> None:
    for item in ITEMS:
        assert len(item.anchors) == 5
        assert all(anchor for anchor in item.anchors)
        assert item.question
    patient_default = ("Not at all", "Mild", "Moderate", "Severe", "Very much so")
    for item in ITEMS:
        if item.rater == Rater.PATIENT and item.number not in (12, 14):
            assert item.anchors == patient_default
    assert ITEMS[11].anchors[0] == "Very restful"
    assert ITEMS[11].anchors[4].startswith("Not at all")
    assert ITEMS[13].anchors[0].startswith("Enough")
    assert ITEMS[13].anchors[4] == "Not at all"
    assert ITEMS[17].anchors[0] == "Normal activity"
    assert ITEMS[17].anchors[4] == "Paces, unable to sit still"
    assert ITEMS[18].anchors[0] == "No tremor"
    assert ITEMS[18].anchors[4] == "Severe tremor with fingers spread"
    assert ITEMS[19].anchors[0] == "No sweating"
    assert "Drenching" in ITEMS[19].anchors[4]


def test_labels_cover_every_enum_member() -> None:
    assert set(BAND_LABELS) == set(Band)
    assert [BAND_LABELS[b] for b in Band] == ["None", "Mild", "Moderate", "Severe", "Very severe"]
    assert set(UNABLE_REASON_LABELS) == set(UnableReason)
    assert dict(SEDATION_LEVELS) == {
        0: "Awake and alert",
        1: "Easily roused",
        2: "Easily roused but cannot stay awake",
        3: "Difficult to rouse",
    }


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, Band.NONE),
        (1, Band.MILD),
        (20, Band.MILD),
        (21, Band.MODERATE),
        (40, Band.MODERATE),
        (41, Band.SEVERE),
        (60, Band.SEVERE),
        (61, Band.VERY_SEVERE),
        (80, Band.VERY_SEVERE),
    ],
)
def test_band_boundaries(total: int, band: Band) -> None:
    assert band_for_total(total) == band


@pytest.mark.parametrize("total", [-1, 81, True, 10.0, "10", None])
def test_band_rejects_out_of_range_or_non_int(total: object) -> None:
    with pytest.raises(ScoringError):
        band_for_total(total)  # type: ignore[arg-type]


def test_score_all_zero_and_all_max() -> None:
    low = score([0] * 20)
    assert (low.total, low.band) == (0, Band.NONE)
    high = score([4] * 20)
    assert (high.total, high.band) == (80, Band.VERY_SEVERE)
    assert high.instrument_code == "CIWA-B"
    assert high.instrument_version == "1989"
    assert high.items == (4,) * 20


def test_score_accepts_tuple_and_returns_tuple() -> None:
    result = score(tuple([1] * 20))
    assert result.items == (1,) * 20
    assert result.total == 20
    assert result.band == Band.MILD


@pytest.mark.parametrize("count", [0, 19, 21])
def test_score_rejects_wrong_count(count: int) -> None:
    with pytest.raises(ScoringError) as info:
        score([1] * count)
    assert "20" in str(info.value)
    assert info.value.item is None


@pytest.mark.parametrize("bad", [-1, 5])
@pytest.mark.parametrize("position", [0, 7, 19])
def test_score_rejects_out_of_range_item_naming_it(bad: int, position: int) -> None:
    items = [2] * 20
    items[position] = bad
    with pytest.raises(ScoringError) as info:
        score(items)
    assert info.value.item == position + 1
    assert f"Item {position + 1}" in str(info.value)


@pytest.mark.parametrize("bad", [True, False, 1.0, "1", None, 2.5])
def test_score_rejects_bool_and_non_int_naming_item(bad: object) -> None:
    items: list[object] = [0] * 20
    items[3] = bad
    with pytest.raises(ScoringError) as info:
        score(items)  # type: ignore[arg-type]
    assert info.value.item == 4
    assert "Item 4" in str(info.value)


@pytest.mark.parametrize("bad", ["0" * 20, b"\x00" * 20, None, 5, dict.fromkeys(range(20), 0)])
def test_score_rejects_non_sequences(bad: object) -> None:
    with pytest.raises(ScoringError):
        score(bad)  # type: ignore[arg-type]


def test_scoring_error_is_value_error() -> None:
    assert issubclass(ScoringError, ValueError)


@given(valid_items)
def test_total_is_sum_of_items(items: list[int]) -> None:
    result = score(items)
    assert result.total == sum(items)
    assert result.items == tuple(items)
    assert result.band == band_for_total(sum(items))
    assert 0 <= result.total <= TOTAL_MAX


@given(
    valid_items,
    st.integers(min_value=0, max_value=ITEM_COUNT - 1),
    st.one_of(st.integers(max_value=ITEM_MIN - 1), st.integers(min_value=ITEM_MAX + 1)),
)
def test_any_out_of_range_item_rejected(items: list[int], position: int, bad: int) -> None:
    items[position] = bad
    with pytest.raises(ScoringError) as info:
        score(items)
    assert info.value.item == position + 1


@given(st.integers(min_value=0, max_value=TOTAL_MAX))
def test_bands_are_monotonic(total: int) -> None:
    order = list(Band)
    if total > 0:
        assert order.index(band_for_total(total)) >= order.index(band_for_total(total - 1))


def test_module_has_no_framework_imports() -> None:
    source = ciwa_b.__loader__.get_source(ciwa_b.__name__)  # type: ignore[union-attr]
    assert source is not None
    for banned in ("django", "rest_framework", "celery", "datetime.now", "time.time"):
        assert banned not in source
