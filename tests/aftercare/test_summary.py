"""The discharge summary says what the stay's records say; signing, amending, PDF, access."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftercare import pdf, services
from aftercare.models import DischargeSummary, FrozenRecordError, SummaryStatus
from cnt_detox.core.models import AuditEvent
from tapering.models import RecordStatus, ScheduledDose
from tapering.services import digest_of
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def discharge(stay, physician):
    return services.discharge(
        actor=physician,
        admission=stay["admission"],
        discharged_at=timezone.now(),
        reason="Transferred to the general hospital",
        override_category="transfer_to_hospital",
        override_reason="Chest pain",
        acknowledge_warnings=True,
    )


def signed(stay, physician, **kw):
    return services.summary_sign(
        actor=physician, admission=stay["admission"], password=PASSWORD, **kw
    )


def test_summary_numbers_equal_the_records(stay, physician, nurse, groups):
    admission = stay["admission"]
    services.aftercare_plan_save(
        actor=nurse,
        admission=admission,
        data={
            "level_of_care": "outpatient",
            "level_reason": "Stable",
            "support_groups": [groups[1].pk],
        },
    )
    follow_up = services.follow_up_create(
        actor=nurse,
        admission=admission,
        scheduled_at=timezone.now() + timezone.timedelta(days=7),
        with_whom="Dr Lee, community clinic",
        mode="telehealth",
    )
    discharge(stay, physician)
    admission.refresh_from_db()
    row = signed(stay, physician, other_medicines="Paracetamol 1 g as needed")
    c = row.content

    assert c["patient"]["mrn"] == admission.patient.mrn
    # Admitted 2 days 1 hour before discharge: 49 hours, and 2 calendar days on the unit's clock
    # (3 when discharged between 00:00 and 01:00, the admission then being at 23:xx).
    tz = admission.unit.tz
    midnights = (
        admission.discharged_at.astimezone(tz).date() - admission.admitted_at.astimezone(tz).date()
    ).days
    assert c["stay"]["length_of_stay_hours"] == 49
    assert c["stay"]["length_of_stay_days"] == midnights and midnights in (2, 3)
    assert [t["reason"] for t in c["stay"]["transfers"]] == ["Quieter room"]
    assert c["stay"]["transfers"][0]["to"].endswith(stay["second_bed"].label)
    assert c["stay"]["discharge_override"]["category"] == "transfer_to_hospital"
    assert Decimal(c["intake"]["diazepam_equivalent_mg"]) == admission.diazepam_equivalent_mg

    ciwa = c["ciwa_b"]
    assert ciwa["count"] == 3
    assert (ciwa["first"]["total"], ciwa["peak"]["total"], ciwa["last"]["total"]) == (12, 25, 8)
    assert [p[1] for p in ciwa["chart"]] == [12, 25, 8]

    plans = {p["version"]: p for p in c["taper_plans"]}
    assert plans[1]["status"] == "superseded" and plans[2]["status"] == "active"
    assert plans[2]["amendment_reason"] == "Slower reduction"
    assert plans[2]["digest"] == stay["v2"].signature.digest
    assert (plans[1]["doses_given"], plans[1]["doses_held"], plans[1]["doses_refused"]) == (1, 1, 0)
    assert (plans[2]["doses_given"], plans[2]["doses_held"], plans[2]["doses_refused"]) == (0, 0, 1)
    assert c["doses"]["given"] == 1 and c["doses"]["held"] == 1 and c["doses"]["refused"] == 1
    assert c["doses"]["held_reasons"] == {"sedated": 1}
    assert Decimal(c["doses"]["mg_given"]["diazepam"]) == stay["given"].mg

    # The continuing taper: exactly v2's unrecorded doses from the discharge on.
    expected = list(
        ScheduledDose.objects.filter(plan=stay["v2"], due_at__gte=admission.discharged_at)
        .exclude(administrations__status=RecordStatus.VALID)
        .order_by("due_at")
    )
    taper = c["continuing_taper"]
    shown = [d for day in taper["days"] for d in day["doses"]]
    assert len(shown) == len(expected)
    assert sum(Decimal(d["mg"]) for d in shown) == sum(d.mg for d in expected)
    assert sum(s["days"] for s in taper["steps"]) == len(taper["days"])
    assert taper["plan_version"] == 2
    assert c["medicines_at_discharge"][0]["name"] == "Diazepam"
    assert c["other_medicines"] == "Paracetamol 1 g as needed"
    assert c["aftercare"]["support_groups"][0]["name"] == "Narcotics Anonymous"
    assert c["follow_ups"][0]["id"] == str(follow_up.public_id)
    assert row.digest == digest_of(row.canonical_json)


def test_amendment_is_a_new_signed_version(stay, physician):
    v1 = signed(stay, physician)
    with pytest.raises(ValidationError) as err:
        signed(stay, physician)
    assert "amendment_reason" in err.value.message_dict
    v2 = signed(stay, physician, amendment_reason="Follow-up added", notes="See GP")
    v1.refresh_from_db()
    assert v1.status == SummaryStatus.SUPERSEDED and v2.supersedes_id == v1.pk
    assert v2.status == SummaryStatus.SIGNED and v2.version == 2
    v2.content = {}
    with pytest.raises(FrozenRecordError):
        v2.save()
    with pytest.raises(FrozenRecordError):
        DischargeSummary.objects.get(pk=v1.pk).delete()


def test_wrong_password_signs_nothing_and_is_audited(stay, physician):
    with pytest.raises(ValidationError):
        services.summary_sign(actor=physician, admission=stay["admission"], password="nope")
    assert not DischargeSummary.objects.exists()
    assert AuditEvent.objects.filter(action="discharge_summary.sign_refused").exists()


def test_enrolled_physician_needs_the_one_time_code(stay, physician):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=physician, name="app", confirmed=True)
    with pytest.raises(ValidationError) as err:
        signed(stay, physician)
    assert "otp_code" in err.value.message_dict
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    row = signed(stay, physician, otp_code=code)
    assert row.second_factor


def test_nurse_and_admin_cannot_sign(stay, nurse, admin_user, api):
    for user in (nurse, admin_user):
        with pytest.raises(PermissionDenied):
            services.summary_sign(actor=user, admission=stay["admission"], password=PASSWORD)
    url = f"/api/v1/admissions/{stay['admission'].public_id}/discharge-summaries/"
    assert api(admin_user).post(url, {"password": PASSWORD}, format="json").status_code == 403
    assert api(nurse).post(url, {"password": PASSWORD}, format="json").status_code == 403


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing")
def test_pdf_holds_patient_taper_calendar_and_digest(stay, physician, client, tmp_path):
    discharge(stay, physician)
    row = signed(stay, physician)
    client.force_login(physician)
    response = client.get(f"/aftercare/summaries/{row.public_id}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "s.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    patient = stay["admission"].patient
    assert patient.full_name in flat and patient.mrn in flat
    assert "Continuing outpatient taper" in flat
    first_step = row.content["continuing_taper"]["steps"][0]
    assert f"{first_step['daily_total_mg']} mg" in flat
    assert first_step["doses"][0]["tablets"] in flat
    # The digest may wrap across lines in the PDF: compare without whitespace.
    assert row.digest in "".join(text.split())
    assert AuditEvent.objects.filter(action="discharge_summary.downloaded").count() == 1


def test_pages_json_and_audit(stay, physician, nurse, client, api):
    row = signed(stay, physician)
    client.force_login(nurse)
    for path, action in (
        (f"/aftercare/summaries/{row.public_id}/", "discharge_summary.viewed"),
        (f"/aftercare/summaries/{row.public_id}/print/", "discharge_summary.printed"),
        (
            f"/aftercare/summaries/{row.public_id}/patient-copy/",
            "discharge_summary.patient_copy_printed",
        ),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert row.digest in response.content.decode() or "patient_copy" in action
        assert AuditEvent.objects.filter(action=action).exists(), action
    data = api(nurse).get(f"/api/v1/discharge-summaries/{row.public_id}/").json()
    assert data["signature"]["digest"] == row.digest
    assert data["content"]["ciwa_b"]["peak"]["total"] == 25
    assert AuditEvent.objects.filter(action="discharge_summary.read_as_json").exists()


def test_other_unit_is_404_everywhere(stay, physician, other_nurse, other_physician, client, api):
    row = signed(stay, physician)
    admission = stay["admission"]
    client.force_login(other_physician)
    for path in (
        f"/aftercare/admissions/{admission.public_id}/",
        f"/aftercare/admissions/{admission.public_id}/discharge/",
        f"/aftercare/admissions/{admission.public_id}/summary/",
        f"/aftercare/summaries/{row.public_id}/",
        f"/aftercare/summaries/{row.public_id}/pdf/",
        f"/aftercare/summaries/{row.public_id}/patient-copy/",
    ):
        assert client.get(path).status_code == 404, path
    response = client.post(
        f"/aftercare/admissions/{admission.public_id}/summary/sign/", {"password": PASSWORD}
    )
    assert response.status_code == 404
    for path in (
        f"/api/v1/discharge-summaries/{row.public_id}/",
        f"/api/v1/admissions/{admission.public_id}/discharge-readiness/",
        f"/api/v1/admissions/{admission.public_id}/follow-ups/",
    ):
        assert api(other_nurse).get(path).status_code == 404, path


def test_sign_page_flow(stay, physician, client):
    admission = stay["admission"]
    client.force_login(physician)
    preview = client.get(f"/aftercare/admissions/{admission.public_id}/summary/")
    assert preview.status_code == 200 and b"Sign: approved discharge summary" in preview.content
    bad = client.post(
        f"/aftercare/admissions/{admission.public_id}/summary/sign/", {"password": "wrong"}
    )
    assert bad.status_code == 400 and b"not correct" in bad.content
    ok = client.post(
        f"/aftercare/admissions/{admission.public_id}/summary/sign/", {"password": PASSWORD}
    )
    assert ok.status_code == 302
    row = DischargeSummary.objects.get()
    assert ok["Location"] == f"/aftercare/summaries/{row.public_id}/"


def test_pdf_render_queries_do_not_grow_with_the_taper(stay, physician):
    row = signed(stay, physician)
    with CaptureQueriesContext(connection) as queries:
        body = pdf.summary_pdf(row)
    assert body.startswith(b"%PDF")
    assert len(queries) <= 3
