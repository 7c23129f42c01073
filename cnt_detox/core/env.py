"""Typed readers for settings taken from the environment.

Each reader fails loudly (ImproperlyConfigured) on a malformed value instead of guessing,
because a typo such as ``DJANGO_DEBUG=ture`` must never silently turn a safety switch off
or on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(
    name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None
) -> str | None:
    value = _raw(name, environ)
    return default if value is None else value


def env_required(name: str, *, environ: Mapping[str, str] | None = None, why: str = "") -> str:
    value = _raw(name, environ)
    if value is None:
        raise ImproperlyConfigured(
            f"Environment variable {name} is required{': ' + why if why else ''}."
        )
    return value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={value!r} is not a boolean; use one of "
        f"{sorted(_TRUE | _FALSE)}."
    )


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not an integer."
        ) from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is below {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is above {maximum}.")
    return number


def env_decimal(
    name: str,
    default: Decimal,
    *,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    environ: Mapping[str, str] | None = None,
) -> Decimal:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not a decimal number."
        ) from None
    if not number.is_finite():
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not a number.")
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is below {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is above {maximum}.")
    return number


def env_list(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [part.strip() for part in value.split(",") if part.strip()]


def env_choice(
    name: str, default: str, choices: tuple[str, ...], *, environ: Mapping[str, str] | None = None
) -> str:
    value = _raw(name, environ) or default
    if value not in choices:
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} must be one of {choices}."
        )
    return value


def env_json_object(
    name: str, default: dict[str, object], *, environ: Mapping[str, str] | None = None
) -> dict[str, object]:
    """A JSON object (``{...}``); anything else is refused, never half-read."""
    value = _raw(name, environ)
    if value is None:
        return dict(default)
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name} is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured(f"Environment variable {name} must be a JSON object.")
    return parsed
