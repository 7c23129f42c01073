"""Plans signed before issue 17's move still verify after it (issue 17: "verify_signatures
--rebuild passes on a database with signed plans from before the move").

tests/fixtures/signed_plans_pre_move.json was made once, on main at 9b36e79 (2026-12-06, before
EmergencyAccess and User.units moved to patients), by tests/fixtures/make_signed_plans_pre_move.py
through the real services: a diazepam plan signed and amended to a signed version 2, and a
chlordiazepoxide plan above 40 mg/day signed and co-signed by an addiction specialist. Never
regenerate it on newer code: its worth is that it is old.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tapering.models import PlanSecondSignature, PlanSignature, TaperPlan

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "signed_plans_pre_move.json"
Row = dict[str, Any]


def load(tmp_path: Path, tamper: Callable[[list[Row]], None] | None = None) -> None:
    """Load the fixture; ``tamper`` edits its rows first. Tampering happens in the data, not by
    UPDATE, because on PostgreSQL a trigger refuses any change to a signed plan's row."""
    rows = json.loads(FIXTURE.read_text())
    if tamper is not None:
        tamper(rows)
    path = tmp_path / "plans.json"
    path.write_text(json.dumps(rows))
    call_command("loaddata", str(path), verbosity=0)


def plan_row(rows: list[Row], target_agent: str, version: int) -> Row:
    (row,) = (
        r
        for r in rows
        if r["model"] == "tapering.taperplan"
        and r["fields"]["target_agent"] == target_agent
        and r["fields"]["version"] == version
    )
    return row["fields"]


def verify(err: StringIO | None = None) -> str:
    out = StringIO()
    call_command("verify_signatures", "--rebuild", stdout=out, stderr=err or StringIO())
    return out.getvalue()


def test_the_fixture_holds_what_it_claims(tmp_path):
    load(tmp_path)
    plans = TaperPlan.objects.values_list("target_agent", "version", "status")
    assert sorted(plans) == [
        ("chlordiazepoxide", 1, "active"),
        ("diazepam", 1, "superseded"),
        ("diazepam", 2, "active"),
    ]
    assert PlanSignature.objects.count() == 3
    assert PlanSecondSignature.objects.get().plan.target_agent == "chlordiazepoxide"


def test_plans_signed_before_the_move_verify_and_rebuild(tmp_path):
    load(tmp_path)
    assert "All 3 signed plans verified." in verify()


def test_tampered_content_of_a_pre_move_plan_fails(tmp_path):
    def tamper(rows: list[Row]) -> None:
        plan = plan_row(rows, "diazepam", 2)
        plan["canonical_json"] = plan["canonical_json"].replace('"30"', '"35"', 1)

    load(tmp_path, tamper)
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 3 signed plans failed"):
        verify(err)
    assert "stored content does not match the signed digest" in err.getvalue()


def test_tampered_inputs_of_a_pre_move_plan_fail_the_rebuild(tmp_path):
    def tamper(rows: list[Row]) -> None:
        # Alprazolam 3 mg instead of the 4 mg signed: the rebuilt plan differs, the digest not.
        plan = plan_row(rows, "chlordiazepoxide", 1)
        assert plan["inputs"]["agents"][0] == {"agent": "alprazolam", "daily_dose_mg": "4"}
        plan["inputs"]["agents"][0]["daily_dose_mg"] = "3"

    load(tmp_path, tamper)
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 3 signed plans failed"):
        verify(err)
    assert "stored inputs no longer build the signed content" in err.getvalue()
