"""Repeated failed logins lock the account and the source address (django-axes)."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def bad_login(client, username="nurse1", ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": "wrong-password!"}, REMOTE_ADDR=ip
    )


def test_login_page_locks_account_after_repeated_failures(client, nurse):
    assert [bad_login(client).status_code for _ in range(3)] == [200, 200, 429]
    # Even the right password is refused while locked, from any address.
    response = client.post(
        reverse("login"), {"username": "nurse1", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429
    assert b"Login locked" in response.content
    assert client.get(reverse("home")).status_code == 302


def test_source_address_is_locked_across_usernames(client, nurse, physician):
    for name in ("a", "b", "c"):
        bad_login(client, username=name, ip="10.0.0.7")
    response = client.post(
        reverse("login"), {"username": "doc1", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7"
    )
    assert response.status_code == 429
    ok = client.post(
        reverse("login"), {"username": "doc1", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8"
    )
    assert ok.status_code == 302


def test_token_endpoint_is_locked_the_same_way(api, nurse):
    client = api()
    statuses = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "nurse1", "password": "nope-nope-nope"},
            format="json",
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 429]
    response = client.post(
        "/api/v1/auth/token/", {"username": "nurse1", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"


def test_failures_on_the_token_endpoint_lock_the_login_page(api, client, nurse):
    for _ in range(3):
        api().post("/api/v1/auth/token/", {"username": "nurse1", "password": "nope"}, format="json")
    response = client.post(reverse("login"), {"username": "nurse1", "password": PASSWORD})
    assert response.status_code == 429


def test_admin_sees_and_unlocks_locked_account(client, nurse, admin_user):
    for _ in range(3):
        bad_login(client)
    attempt = AccessAttempt.objects.get(username="nurse1")
    client.force_login(admin_user)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and b"nurse1" in listing.content
    # Unlocking = deleting the attempt in the admin site.
    response = client.post(
        f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert not AccessAttempt.objects.filter(username="nurse1").exists()
    client.logout()
    ok = client.post(reverse("login"), {"username": "nurse1", "password": PASSWORD})
    assert ok.status_code == 302


def test_successful_login_resets_the_count(client, nurse):
    bad_login(client)
    bad_login(client)
    assert (
        client.post(reverse("login"), {"username": "nurse1", "password": PASSWORD}).status_code
        == 302
    )
    client.post(reverse("logout"))
    assert bad_login(client).status_code == 200
    assert bad_login(client).status_code == 200


def test_password_validators_require_twelve_characters(nurse):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at least 12"):
        validate_password("Sh0rt!pass", nurse)
    validate_password("a-much-longer-pass-phrase", nurse)
