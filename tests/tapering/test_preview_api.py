"""POST /api/v1/taper-previews/: conversion and schedule, no patient, no DB beyond auth."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

URL = "/api/v1/taper-previews/"


def body(**over):
    data = {
        "agents": [
            {"agent": "alprazolam", "daily_dose_mg": "4"},
            {"agent": "lorazepam", "daily_dose_mg": "2"},
        ],
        "target_agent": "diazepam",
        "strategy": "inpatient",
        "start_date": "2025-03-03",
    }
    data.update(over)
    return data


@pytest.mark.django_db
def test_preview_converts_a_real_regimen_and_rounds_to_tablets(api, physician):
    response = api(physician).post(URL, body(), format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["table"]["id"] == "ashton-2002"
    assert [c["agent"] for c in data["conversions"]] == ["alprazolam", "lorazepam"]
    assert data["conversions"][0]["diazepam_mg"] == "80"
    assert "va-dod-2021" in data["conversions"][0]["other_tables"]
    assert data["diazepam_equivalent_mg"] == "100"
    assert data["starting_daily_mg"] == "80"  # capped at 80 mg/day
    step = data["steps"][0]
    assert step["start_date"] == "2025-03-03"
    assert {"time", "mg", "units"} <= set(step["doses"][0])
    assert isinstance(step["daily_total_mg"], str)
    codes = {w["code"] for w in data["warnings"]}
    assert {"capped", "specialist_review", "high_dose_dependence"} <= codes
    assert all({"code", "message", "source"} <= set(w) for w in data["warnings"])
    assert data["dispense_totals"]


@pytest.mark.django_db
def test_preview_chlordiazepoxide_outpatient(api, nurse):
    response = api(nurse).post(
        URL,
        body(
            target_agent="chlordiazepoxide",
            strategy="outpatient",
            params={"reduction_percent": "10", "interval_days": 14, "doses_per_day": 2},
            table="who-2009",
            age=70,
            hepatic_impairment=True,
        ),
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["table"]["id"] == "who-2009"
    totals = [int(s["daily_total_mg"]) for s in data["steps"]]
    assert all(t % 5 == 0 for t in totals)
    assert totals == sorted(totals, reverse=True) and totals[-1] == 0
    codes = {w["code"] for w in data["warnings"]}
    assert {"age_65_or_over", "hepatic_impairment"} <= codes


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"agents": [{"agent": "alprazolam", "daily_dose_mg": "0"}]}, "agents[0].daily_dose_mg"),
        ({"agents": [{"agent": "unobtainium", "daily_dose_mg": "2"}]}, "agents[0].agent"),
        ({"table": "no-such-table"}, "table"),
        (
            {"strategy": "outpatient", "params": {"reduction_percent": "40"}},
            "params.reduction_percent",
        ),
        ({"params": {"stabilisation_days": 9}}, "params.stabilisation_days"),
        ({"target_agent": "flumazenil"}, "target_agent"),
        ({"start_date": "03/03/2025"}, "start_date"),
        ({"agents": []}, "agents"),
    ],
)
def test_preview_bad_input_is_400_with_field_errors(api, physician, over, field):
    response = api(physician).post(URL, body(**over), format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error


@pytest.mark.django_db
def test_preview_is_for_clinicians_only(api, admin_user):
    assert api(admin_user).post(URL, body(), format="json").status_code == 403
    assert api(None).post(URL, body(), format="json").status_code in (401, 403)


@pytest.mark.django_db
def test_preview_makes_no_database_queries_beyond_auth(api, physician):
    client = api(physician)  # force_authenticate: no auth queries at all
    with CaptureQueriesContext(connection) as queries:
        assert client.post(URL, body(), format="json").status_code == 200
    assert len(queries) == 0, [q["sql"] for q in queries]


@pytest.mark.django_db
def test_preview_starts_at_the_taper_stabilisation_cap_setting(api, physician, settings):
    # README: TAPER_STABILISATION_CAP_MG replaces the 80 mg/day facility cap.
    settings.TAPER_STABILISATION_CAP_MG = 60
    response = api(physician).post(URL, body(), format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["diazepam_equivalent_mg"] == "100"
    assert data["starting_daily_mg"] == "60"
    assert "capped" in {w["code"] for w in data["warnings"]}


@pytest.mark.django_db
def test_preview_uses_the_equivalence_default_table_setting(api, physician, settings):
    settings.EQUIVALENCE_DEFAULT_TABLE = "who-2009"
    response = api(physician).post(URL, body(), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["table"]["id"] == "who-2009"


@pytest.mark.django_db
def test_preview_warns_on_seizure_history_and_fast_inpatient_reduction(api, physician):
    # Issue 20 items 2 and 3.
    response = api(physician).post(
        URL,
        body(withdrawal_seizures=True, params={"reduction_percent": "60"}),
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    warnings = {w["code"]: w for w in data["warnings"]}
    assert warnings["seizure_history"]["source"] == "risk.md (seizure risk); SA Health"
    assert {"inpatient_rate_above_etg", "inpatient_rate_above_sa_health"} <= set(data["violations"])
