from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cnt_detox.core import audit
from cnt_detox.core.audit import Client
from cnt_detox.core.audit_actions import AuditAction
from cnt_detox.core.errors import error_body
from cnt_detox.core.lockout import LOCKED_MESSAGE
from cnt_detox.core.models import ApiToken
from cnt_detox.core.otp import (
    MAX_CODE_LENGTH,
    confirmed_totp_device,
    second_factor_required,
    user_has_second_factor,
    verify_second_factor,
)
from cnt_detox.core.services import api_token_issue, api_tokens_revoke


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_CODE_LENGTH + 8,
        help_text="One-time code (authenticator app or backup code); required for accounts "
        "with two-factor login.",
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField()


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


BAD_CREDENTIALS = "Unable to log in with provided credentials."


class TokenView(APIView):
    """Exchange username, password (and the one-time code) for an API token.

    Send it as `Authorization: Token <token>`. It works until `expires_at`
    (API_TOKEN_TTL_SECONDS, 12 hours by default), `POST /api/v1/auth/logout/`, a password
    change, deactivation or a reset of the two-factor device, whichever comes first.

    Accounts with two-factor login, and accounts whose role requires it, must send `otp`; a
    role that requires it but has no authenticator yet must enrol in the web app first.
    Failures count towards the login lockout (django-axes), which answers 429 while it lasts.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def _locked(self) -> Response:
        # AxesMiddleware answers the same (cnt_detox.core.lockout) for any flagged request.
        return Response(
            error_body("locked_out", LOCKED_MESSAGE), status=status.HTTP_429_TOO_MANY_REQUESTS
        )

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, 400: ErrorSerializer, 429: ErrorSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # axes reads and flags the plain Django request, not DRF's wrapper.
        django_request = request._request
        username = data.validated_data["username"]
        user = authenticate(
            request=django_request, username=username, password=data.validated_data["password"]
        )
        if getattr(django_request, "axes_locked_out", False):
            return self._locked()
        if user is None:
            raise ValidationError({"non_field_errors": [BAD_CREDENTIALS]})
        enrolled = user_has_second_factor(user)
        if second_factor_required(user) and not enrolled:
            raise ValidationError(
                {"otp": ["Your role requires two-factor login: set it up in the web app first."]}
            )
        if enrolled:
            code = data.validated_data.get("otp", "")
            if not verify_second_factor(user, code):
                credentials = {"username": user.get_username()}
                user_login_failed.send(
                    sender=__name__, credentials=credentials, request=django_request
                )
                audit.record(
                    actor=user,
                    action=AuditAction.OTP_FAILED,
                    client=Client.from_request(django_request),
                )
                if getattr(django_request, "axes_locked_out", False):
                    return self._locked()
                message = (
                    "Send the current one-time code as otp."
                    if not code
                    else ("That one-time code did not work.")
                )
                raise ValidationError({"otp": [message]})
        # Tie the token to the authenticator that let this login through, so resetting it
        # ends the token (cnt_detox.core.tokens).
        device = confirmed_totp_device(user) if enrolled else None
        token, key = api_token_issue(
            actor=user, otp_device=device, client=Client.from_request(django_request)
        )
        return Response({"token": key, "expires_at": token.expires_at})


class ApiLogoutView(APIView):
    """End the token this request was sent with (`POST /api/v1/auth/logout/`): 204."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, 401: ErrorSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is not None:
            api_tokens_revoke(
                actor=request.user,
                user=request.user,
                reason="logout",
                token=token,
                client=Client.from_request(request._request),
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
