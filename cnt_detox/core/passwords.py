"""Password validators on top of Django's (issue 18.6), each with a message that says why.

Django's four validators let through 12 spaces, ``aaaaaaaaaaaa``, ``qwertyuiopas``,
``Password1234!`` and the username typed twice. These close those gaps:

- ``BlankOrRepeatedValidator``: only whitespace, too few different characters, or one short
  piece repeated (``abcabcabcabc``, the same emoji twelve times).
- ``KeyboardRunValidator``: mostly a run along the keyboard or the alphabet (``qwertyuiopas``,
  ``1234567890ab``, ``zyxwvutsrqpo``).
- ``UsernamePasswordValidator``: contains the username (forwards or backwards).
- ``CommonBaseWordValidator``: Django's list of 20,000 common passwords, also after taking off
  digits and punctuation at either end (``Password1234!`` is ``password``), so decorating a
  common password does not make it a new one.

The thresholds below are the facility's choice, not a published standard; OWASP ASVS 2.1.7
asks for a breached/common-password check and NIST SP 800-63B 5.1.1.2 for rejecting
"repetitive or sequential characters" and context-specific words such as the username.
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

# A password needs at least this many different characters (not a published threshold).
MIN_DISTINCT_CHARACTERS = 5
# Share of neighbouring character pairs that may be keyboard or alphabet steps (not a
# published threshold): above it the password is "a run".
MAX_RUN_SHARE = 0.6
# Shortest username we look for inside a password; shorter ones match too much by chance.
MIN_USERNAME_LENGTH = 3
# A base word this short is not looked up: "ab" is in no sense the password.
MIN_BASE_WORD_LENGTH = 4

_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_SEQUENCES = (*_KEYBOARD_ROWS, "".join(_KEYBOARD_ROWS), "abcdefghijklmnopqrstuvwxyz")


@cache
def _steps() -> frozenset[tuple[str, str]]:
    """Pairs (a, b) where b follows or precedes a on a keyboard row, across rows, or in the
    alphabet."""
    pairs = set()
    for seq in _SEQUENCES:
        for a, b in itertools.pairwise(seq):
            pairs.add((a, b))
            pairs.add((b, a))
    return frozenset(pairs)


class BlankOrRepeatedValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if not password.strip():
            raise ValidationError(
                "This password is only spaces. Use words or characters you can type.",
                code="password_blank",
            )
        if len(set(password)) < MIN_DISTINCT_CHARACTERS:
            raise ValidationError(
                "This password repeats the same few characters. Use at least "
                f"{MIN_DISTINCT_CHARACTERS} different characters, for example a few words.",
                code="password_repeated",
            )
        for size in range(1, len(password) // 2 + 1):
            if len(password) % size == 0 and password[:size] * (len(password) // size) == (
                password
            ):
                raise ValidationError(
                    "This password is one short piece repeated. Choose a password that is not a "
                    "repetition.",
                    code="password_repeated",
                )

    def get_help_text(self) -> str:
        return "Your password can't be only spaces or the same characters repeated."


class KeyboardRunValidator:
    def validate(self, password: str, user: Any = None) -> None:
        text = password.lower()
        pairs = list(itertools.pairwise(text))
        if not pairs:
            return
        steps = _steps()
        runs = sum(1 for pair in pairs if pair in steps)
        if runs / len(pairs) > MAX_RUN_SHARE:
            raise ValidationError(
                "This password is a run of neighbouring keys or letters (like qwerty or 12345). "
                "Choose one that does not follow the keyboard.",
                code="password_keyboard_run",
            )

    def get_help_text(self) -> str:
        return "Your password can't be a run of neighbouring keys or letters such as qwerty."


class UsernamePasswordValidator:
    def validate(self, password: str, user: Any = None) -> None:
        username = (user.get_username() if user is not None else "") or ""
        name = username.lower()
        if len(name) < MIN_USERNAME_LENGTH:
            return
        text = password.lower()
        if name in text or name[::-1] in text:
            raise ValidationError(
                "This password contains your username. Choose one that does not.",
                code="password_contains_username",
            )

    def get_help_text(self) -> str:
        return "Your password can't contain your username."


_EDGE = "0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ "


class CommonBaseWordValidator(CommonPasswordValidator):
    """Django's common-password list, checked on the password and on its base word."""

    def validate(self, password: str, user: Any = None) -> None:
        text = password.lower().strip()
        base = text.strip(_EDGE)
        candidates = {text}
        if len(base) >= MIN_BASE_WORD_LENGTH:
            candidates.add(base)
        if candidates & self.passwords:
            raise ValidationError(
                "This password is, or is built on, a commonly used password. Choose something "
                "less predictable, for example three or four unrelated words.",
                code="password_too_common",
            )

    def get_help_text(self) -> str:
        return "Your password can't be, or be built on, a commonly used password."
