import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from cnt_detox.core.middleware import LAST_ACTIVITY_KEY
from cnt_detox.core.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Log in" in response.content


def test_login_and_logout(client, nurse):
    response = client.post(reverse("login"), {"username": "nurse1", "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code in (200, 302)
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_clear_message(client, nurse):
    response = client.post(reverse("login"), {"username": "nurse1", "password": "wrong-password!"})
    assert response.status_code == 200
    assert b"did not match" in response.content


@pytest.mark.parametrize("who", ["nurse", "physician"])
def test_clinicians_cannot_open_admin_site(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_opens_admin_site(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


def test_idle_session_logs_out_and_background_poll_does_not_extend(client, nurse, settings):
    client.force_login(nurse)
    assert client.get(reverse("home")).status_code in (200, 302)
    session = client.session
    stale = time.time() - settings.SESSION_IDLE_TIMEOUT_SECONDS - 5
    session[LAST_ACTIVITY_KEY] = stale
    session.save()
    # A background poll does not refresh the activity stamp, so the session still ends.
    response = client.get("/api/v1/units/", HTTP_X_BACKGROUND_POLL="1")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"
    assert client.get(reverse("home")).status_code == 302


def test_unauthenticated_api_call_gets_401_json_error(api):
    response = api().get("/api/v1/units/")
    assert response.status_code == 401
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == "not_authenticated"


def test_basic_auth_is_not_accepted(client, nurse):
    import base64

    credentials = base64.b64encode(f"nurse1:{PASSWORD}".encode()).decode()
    response = client.get("/api/v1/units/", HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 401


def test_token_endpoint_and_token_auth(api, nurse, unit):
    response = api().post(
        "/api/v1/auth/token/", {"username": "nurse1", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/units/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_token_endpoint_bad_password_is_400_with_error_format(api, nurse):
    response = api().post(
        "/api/v1/auth/token/", {"username": "nurse1", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_units_api_lists_only_my_units_with_beds(api, nurse, unit, other_unit):
    data = api(nurse).get("/api/v1/units/").json()
    assert [u["name"] for u in data] == ["Ward 1"]
    assert data[0]["id"] == str(unit.public_id)
    assert data[0]["time_zone"] == "Europe/London"
    assert [b["label"] for b in data[0]["beds"]] == ["B1", "B2", "B3", "B4"]
    assert all(set(b) == {"id", "label", "occupied"} for b in data[0]["beds"])
    assert not any(b["occupied"] for b in data[0]["beds"])


def test_schema_and_docs_are_served(client, nurse):
    client.force_login(nurse)
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"openapi" in schema.content
    assert client.get("/api/v1/docs/").status_code == 200


def test_healthz_checks_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_server_error_in_api_gives_error_id_without_traceback(client, nurse, monkeypatch):
    from patients import api as patients_api

    def boom(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(patients_api.UnitListView, "get", boom)
    client.raise_request_exception = False
    client.force_login(nurse)
    response = client.get("/api/v1/units/")
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "server_error"
    assert len(body["error"]["error_id"]) == 12
    assert b"secret internal detail" not in response.content


def test_seed_demo_is_idempotent_and_prints_logins(capsys, settings):
    call_command("seed_demo", "--password", "a-long-demo-password")
    call_command("seed_demo", "--password", "a-long-demo-password")
    out = capsys.readouterr().out
    assert "nurse" in out and "physician" in out and "admin" in out
    assert User.objects.filter(username__in=["nurse", "physician", "admin"]).count() == 3
    nurse = User.objects.get(username="nurse")
    assert nurse.role == "nurse" and nurse.units.count() == 1
    assert nurse.check_password("a-long-demo-password")


def test_seed_demo_refuses_production(settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", "--password", "x")


def test_role_groups_carry_permissions(nurse, physician, admin_user):
    assert nurse.groups.filter(name="nurse").exists()
    assert admin_user.is_staff and not nurse.is_staff
    assert admin_user.has_perm("patients.change_unit")
    assert not nurse.has_perm("patients.change_unit")


def test_page_views_do_not_rewrite_the_session_every_time(client, nurse):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(nurse)
    client.get("/api/v1/units/")  # first request stamps the activity time
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/units/")
    writes = [q["sql"] for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert writes == []
