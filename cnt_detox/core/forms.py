"""What every HTML form of the app shares: errors are shown where the eye is.

A tired nurse who presses Save must see at once what is wrong. After validation the first
invalid field gets ``autofocus`` (the browser focuses it and scrolls it into view, also
without JavaScript) and every invalid field ``aria-invalid`` with its error message named by
``aria-describedby``. When only the form as a whole is wrong (a wrong password at signing
is a field error; "another physician changed this draft" is not), the error summary at the
top of the form takes the focus instead (``templates/core/_error_summary.html``).
"""

from __future__ import annotations

from typing import Any


def mark_invalid_fields(form: Any, *, focus: bool = True) -> str | None:
    """Flag ``form``'s invalid fields; autofocus the first one. Returns its name, if any."""
    first = None
    for name, field in form.fields.items():
        field.widget.attrs.pop("autofocus", None)
        if name not in form.errors or field.widget.is_hidden:
            continue
        attrs = field.widget.attrs
        attrs["aria-invalid"] = "true"
        error_id = f"{form[name].auto_id}_error"
        described = attrs.get("aria-describedby", "")
        if error_id not in described.split():
            attrs["aria-describedby"] = f"{described} {error_id}".strip()
        if first is None:
            first = name
            if focus:
                attrs["autofocus"] = True
    form.first_invalid_field = first
    return first


class ErrorFocusMixin:
    """Mix into a ``forms.Form``: after validation the first invalid field has the focus."""

    first_invalid_field: str | None = None

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        if self.is_bound and self._errors:  # type: ignore[attr-defined]
            mark_invalid_fields(self)

    def add_error(self, field: str | None, error: Any) -> None:
        # Views add the service's errors (a wrong password at signing) after validation.
        super().add_error(field, error)  # type: ignore[misc]
        if hasattr(self, "cleaned_data"):
            mark_invalid_fields(self)
