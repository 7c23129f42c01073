"""Issue 18.6: weak passwords are refused, and the form says why."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WEAK = {
    "blank": " " * 12,
    "repeated": "a" * 12,
    "repeated piece": "abcabcabcabc",
    "keyboard run": "qwertyuiopas",
    "digit and letter run": "1234567890qw",
    "common, decorated": "Password1234!",
    "emoji": "\N{GRINNING FACE}" * 12,
}


@pytest.mark.parametrize("password", WEAK.values(), ids=WEAK.keys())
def test_weak_passwords_are_refused(password, nurse):
    with pytest.raises(ValidationError):
        validate_password(password, user=nurse)


def test_username_twice_and_reversed_are_refused(nurse):
    for password in (nurse.username * 2, nurse.username[::-1] + "-Gardens-9"):
        with pytest.raises(ValidationError) as info:
            validate_password(password, user=nurse)
        assert "username" in " ".join(info.value.messages)


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "demo-password-123", "Tulip lantern 47 orbit", "glacier-mango-stove-91"],
)
def test_ordinary_passphrases_pass(password, nurse):
    validate_password(password, user=nurse)


def test_the_password_form_says_why(client, nurse):
    client.force_login(nurse)
    response = client.post(
        reverse("core:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "qwertyuiopas",
            "new_password2": "qwertyuiopas",
        },
    )
    assert response.status_code == 200
    assert "run of neighbouring keys" in response.content.decode()
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)
