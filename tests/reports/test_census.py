import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cnt_detox.core.models import AuditEvent
from cnt_detox.core.roles import Role
from reports import exports
from reports.census import CENSUS_HEADER, census_rows
from tests.factories import make_admission

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_current_census_rows_have_labels_and_local_times(seeded, unit):
    rows = list(census_rows([unit], seeded.now))
    assert [r[1] for r in rows] == ["B2", "B3"]
    transferred = dict(zip(CENSUS_HEADER, rows[0], strict=True))
    a = seeded.transferred
    zone = a.admitted_at.astimezone(unit.tz).strftime("%Z")
    assert transferred == {
        "Unit": "Ward 1",
        "Bed": "B2",
        "Patient": a.patient.full_name,
        "MRN": a.patient.mrn,
        "Age": a.patient.age_on(seeded.now.astimezone(unit.tz).date()),
        "Sex": "Female",
        "Admitted": a.admitted_at.astimezone(unit.tz).strftime("%Y-%m-%d %H:%M ") + zone,
        "Day of stay": a.day_of_stay(seeded.now),
        "Primary agent": "Alprazolam",
        "Diazepam equivalent at admission (mg/day)": str(a.diazepam_equivalent_mg),
        "Daily dose band": a.dose_band.capitalize(),
        "Withdrawal risk": "Expected",
        "Discharged": "",
    }


def test_census_at_past_times_follows_transfers_and_discharges(seeded, unit, other_unit):
    h = dt.timedelta(hours=1)
    # 2.5 days ago: the discharged stay was on B1; the transferred one was still on Ward 2 C1.
    past = seeded.now - 60 * h
    assert [(r[0], r[1]) for r in census_rows([unit], past)] == [("Ward 1", "B1")]
    assert [(r[0], r[1]) for r in census_rows([other_unit], past)] == [("Ward 2", "C1")]
    row = next(iter(census_rows([unit], past)))
    assert row[12] == exports_stamp(seeded.discharged.discharged_at, unit)
    # 12 hours ago: transferred onto B2, the discharge done, the critical stay not yet begun.
    assert [r[1] for r in census_rows([unit, other_unit], seeded.now - 12 * h)] == ["B2"]
    # At the moment of discharge the stay has ended (the end is exclusive).
    at_discharge = seeded.discharged.discharged_at
    assert "B1" not in [r[1] for r in census_rows([unit], at_discharge)]


def exports_stamp(when, unit):
    return when.astimezone(unit.tz).strftime("%Y-%m-%d %H:%M %Z")


def test_formula_cells_are_escaped():
    for bad in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert exports.escape_cell(bad) == "'" + bad
    assert exports.escape_cell("Ward 1") == "Ward 1"
    assert exports.escape_cell(-2) == -2
    assert exports.escape_cell(None) == ""


def test_csv_export_escapes_formulas_and_carries_notice_and_digest(client, admin_user, unit, nurse):
    from tests.factories import make_patient

    patient = make_patient(first_name='=HYPERLINK("http://x","y")', last_name="@Smith")
    make_admission(unit, by=nurse, patient=patient)
    client.force_login(admin_user)
    response = client.get(reverse("reports:census-export"), {"unit": str(unit.public_id)})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="census_ward-1_')
    data = body(response)
    rows = csv_rows(data)
    assert rows[0] == CENSUS_HEADER
    assert rows[1][2] == '\'=HYPERLINK("http://x","y") @Smith'
    assert rows[-5] == [] or rows[-4] == []
    assert any("42 CFR Part 2" in r[0] for r in rows[-4:] if r)
    assert rows[-1][0].startswith(exports.DIGEST_PREFIX)
    assert exports.verify_csv(data)
    assert not exports.verify_csv(data.replace(b"Ward 1", b"Ward 9"))


def test_xlsx_export_opens_and_holds_the_same_rows_as_csv(client, admin_user, seeded, unit):
    client.force_login(admin_user)
    params = {"unit": str(unit.public_id)}
    csv_data = body(client.get(reverse("reports:census-export"), {**params, "format": "csv"}))
    response = client.get(reverse("reports:census-export"), {**params, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    raw = body(response)
    import hashlib

    assert response["X-Content-SHA256"] == hashlib.sha256(raw).hexdigest()
    xlsx_rows, _digest = exports.xlsx_rows(io.BytesIO(raw))
    assert exports.verify_xlsx(io.BytesIO(raw))

    def norm(rows):
        out = []
        for row in rows:
            cells = [str(c) for c in row]
            while cells and cells[-1] == "":
                cells.pop()
            out.append(cells)
        return out

    from_csv = norm(csv_rows(csv_data)[:-1])
    from_xlsx = norm(xlsx_rows)
    # Same header, data rows and notice; the "Exported ..." line lines differ only by the clock.
    assert from_xlsx[:-2] == from_csv[:-2]
    assert len(from_xlsx) == len(from_csv) == 1 + 2 + 4  # header, rows, blank+notice+2 lines


def test_every_export_is_audited_with_parameters_and_row_count(client, admin_user, seeded, unit):
    client.force_login(admin_user)
    at = (seeded.now - dt.timedelta(hours=12)).astimezone(unit.tz).strftime("%Y-%m-%dT%H:%M")
    response = client.get(reverse("reports:census-export"), {"unit": str(unit.public_id), "at": at})
    assert not AuditEvent.objects.filter(action="report.exported").exists()  # not streamed yet
    data = body(response)
    event = AuditEvent.objects.get(action="report.exported")
    assert event.actor == admin_user
    assert event.details["rows"] == 1
    assert event.details["completed"] is True
    assert event.details["params"]["unit"] == str(unit.public_id)
    assert event.details["params"]["historical"] is True
    assert event.details["sha256"] in data.decode()
    assert event.details["filename"].startswith("census_ward-1_")


def test_all_units_census_only_covers_the_admins_units(client, admin_user, seeded):
    client.force_login(admin_user)
    rows = csv_rows(body(client.get(reverse("reports:census-export"))))
    assert {r[0] for r in rows[1:3]} == {"Ward 1"}
    assert all(r[0] != "Ward 2" for r in rows if r)


@pytest.mark.parametrize("who", ["nurse", "physician"])
def test_clinicians_cannot_export(client, api, request, who, seeded):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse("reports:census-export")).status_code == 403
    assert client.get(reverse("reports:index")).status_code == 403
    assert api(user).get("/api/v1/reports/census").status_code == 403
    assert not AuditEvent.objects.filter(action="report.exported").exists()


def test_other_unit_admin_gets_404(client, api, make_user, other_unit, unit, seeded):
    admin2 = make_user("admin2", Role.ADMIN, other_unit)
    client.force_login(admin2)
    response = client.get(reverse("reports:census-export"), {"unit": str(unit.public_id)})
    assert response.status_code == 404
    assert (
        api(admin2).get("/api/v1/reports/census", {"unit": str(unit.public_id)}).status_code == 404
    )
    rows = csv_rows(body(client.get(reverse("reports:census-export"))))
    assert seeded.critical.patient.mrn not in str(rows)


def test_bad_parameters_are_field_errors(client, api, admin_user, unit):
    response = api(admin_user).get("/api/v1/reports/census", {"unit": "nope", "format": "pdf"})
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"unit", "format"}
    response = api(admin_user).get("/api/v1/reports/census", {"at": "yesterday"})
    assert response.status_code == 400 and "at" in response.json()["error"]["fields"]
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    response = api(admin_user).get("/api/v1/reports/census", {"at": future})
    assert response.status_code == 400 and "at" in response.json()["error"]["fields"]
    client.force_login(admin_user)
    page = client.get(reverse("reports:census-export"), {"at": "yesterday"})
    assert page.status_code == 400 and b"Enter a date and time" in page.content


def test_api_census_json_and_xlsx(api, admin_user, seeded, unit):
    response = api(admin_user).get(
        "/api/v1/reports/census", {"unit": str(unit.public_id), "format": "json"}
    )
    assert response.status_code == 200
    data = response.json()
    assert [r["bed"] for r in data["rows"]] == ["B2", "B3"]
    assert "42 CFR Part 2" in data["notice"]
    response = api(admin_user).get("/api/v1/reports/census", {"format": "xlsx"})
    assert response.status_code == 200
    assert exports.verify_xlsx(io.BytesIO(body(response)))
    assert AuditEvent.objects.filter(action="report.exported").count() == 2


def test_census_says_unknown_for_an_unconverted_dose_never_zero(nurse, unit):
    # Issue 20 item 1: the census exported "0.00, Low" for etizolam alone.
    from patients import services

    def admit(mrn, rows):
        return services.admission_create(
            actor=nurse,
            patient={
                "mrn": mrn,
                "first_name": "A",
                "last_name": mrn,
                "date_of_birth": dt.date(1980, 1, 1),
                "sex": "male",
            },
            unit_id=unit.public_id,
            bed_id=unit.beds.order_by("label")[len(mrn) - 2].public_id,
            admitted_at=timezone.now() - dt.timedelta(hours=1),
            substances=[
                {
                    "agent": a,
                    "other_agent_text": "etizolam" if a == "other" else "",
                    "daily_dose_mg": Decimal(d),
                    "days_per_week": 7,
                    "duration_months": Decimal("12"),
                }
                for a, d in rows
            ],
        )

    admit("U1", [("other", "2")])
    admit("U22", [("diazepam", "12"), ("other", "2")])
    rows = [dict(zip(CENSUS_HEADER, r, strict=True)) for r in census_rows([unit], timezone.now())]
    by_mrn = {r["MRN"]: r for r in rows}
    dose = "Diazepam equivalent at admission (mg/day)"
    assert by_mrn["U1"][dose] == "unknown"
    assert by_mrn["U1"]["Daily dose band"] == "Unknown"
    assert by_mrn["U22"][dose] == "at least 12.00"
    assert by_mrn["U22"]["Daily dose band"] == "Unknown"
