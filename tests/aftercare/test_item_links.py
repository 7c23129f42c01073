"""Every open readiness item links to a page that exists: the url names are explicit in
aftercare.presenters.ITEM_LINKS, so a renamed or removed url fails here instead of the link
silently disappearing from the patient page (the old helper guessed between three url
conventions and swallowed NoReverseMatch)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import NoReverseMatch

from aftercare import presenters
from clinical import discharge

NOW = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)


def _every_item() -> tuple[discharge.Item, ...]:
    """Facts that open every readiness item the rule knows."""
    return discharge.readiness(
        discharge.Facts(
            discharge_daily_diazepam_mg=Decimal(40),
            plan_version=2,
            open_escalations=1,
            ciwa_due_at=NOW - dt.timedelta(hours=1),
            now=NOW,
            unrecorded_doses_today=1,
            awaiting_second_version=3,
        )
    )


def test_every_readiness_code_has_a_link() -> None:
    codes = {i.code for i in _every_item()}
    assert codes == set(presenters.ITEM_LINKS)


@pytest.mark.parametrize("code", sorted(presenters.ITEM_LINKS))
def test_every_item_link_reverses(code: str) -> None:
    stay = SimpleNamespace(public_id=uuid.uuid4())
    url = presenters.item_url(code, stay)
    assert url.startswith("/")
    if presenters.ITEM_LINKS[code].per_admission:
        assert str(stay.public_id) in url


def test_a_wrong_url_name_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        presenters.ITEM_LINKS, "ciwa_overdue", presenters.ItemLink("assessments:nope", True, "x")
    )
    with pytest.raises(NoReverseMatch):
        presenters.item_url("ciwa_overdue", SimpleNamespace(public_id=uuid.uuid4()))


def test_a_code_without_a_page_has_no_link() -> None:
    stay = SimpleNamespace(public_id=uuid.uuid4())
    [item] = presenters.with_links([{"code": "unknown"}], stay)
    assert item["url"] == "" and item["link_text"] == "Open"
