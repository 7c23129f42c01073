"""DRF permission classes and view helpers for the architecture's role table."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from cnt_detox.core.roles import Role


class IsClinician(BasePermission):
    """Nurses and physicians: clinical entry. Admins make no clinical entries."""

    message = "Only nurses and physicians may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role in (Role.NURSE, Role.PHYSICIAN))


class IsPhysician(BasePermission):
    message = "Only physicians may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.PHYSICIAN)


class IsAdminRole(BasePermission):
    message = "Only administrators may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.ADMIN)


def role_required(*roles: str) -> Any:
    """Page-view decorator: logged in (else redirect to login) and one of ``roles`` (else 403)."""
    from django.contrib.auth.decorators import login_required

    def decorator(view: Any) -> Any:
        @wraps(view)
        @login_required
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            if request.user.role not in roles:
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


clinician_required = role_required(Role.NURSE, Role.PHYSICIAN)
physician_required = role_required(Role.PHYSICIAN)
admin_required = role_required(Role.ADMIN)
