"""Template tags of the offline bedside app shell (issue 14)."""

from __future__ import annotations

import uuid

from django import template

register = template.Library()


@register.simple_tag
def new_idempotency_key() -> str:
    """A fresh key for one entry form: a resend of the same entry is stored once."""
    return str(uuid.uuid4())
