"""Login lockout (django-axes) in front of Django's password check."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuse a locked-out username or client address before the password is compared.

    Every HTTP login path (the login page, the token endpoint, the OTP step) passes the
    request. ``authenticate()`` without a request only happens off the network (the test
    client's ``login()``, a shell); there is no source address to count, so this backend
    steps aside instead of raising as the stock axes backend does.
    """

    def authenticate(
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
