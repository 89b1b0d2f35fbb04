"""Permission checks shared by every app's API views."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from kasamonitor.errors import PermissionRequired

from .roles import ADMIN, PERMISSIONS, ROLE_PERMISSIONS, SPEC_ALIASES


def has_permission(user, name: str) -> bool:
    """Return True when the user's role or own grants include permission `name`."""
    name = SPEC_ALIASES.get(name, name)
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.role == ADMIN:
        return True
    return user.has_perm(f"accounts.{name}")


def effective_permissions(user) -> list[str]:
    """Return the permission names the API shows for a user (admins: ["all"])."""
    if user.role == ADMIN:
        return ["all"]
    granted = set(ROLE_PERMISSIONS.get(user.role, []))
    granted |= {name for name in PERMISSIONS if user.has_perm(f"accounts.{name}")}
    return sorted(granted)


def require(user, name: str) -> None:
    """Raise a 403 naming the permission when the user lacks it."""
    if not has_permission(user, name):
        raise PermissionRequired(required_permission=name)


def HasPermission(name: str) -> type[BasePermission]:  # noqa: N802 (reads like a class)
    """A DRF permission class requiring `name`, e.g. permission_classes = [HasPermission("devices.control")]."""

    class _HasPermission(BasePermission):
        def has_permission(self, request, view) -> bool:
            if request.user and request.user.is_authenticated:
                require(request.user, name)
            return bool(request.user and request.user.is_authenticated)

    _HasPermission.__name__ = f"HasPermission[{name}]"
    return _HasPermission


def IsAdminRole() -> type[BasePermission]:  # noqa: N802
    """Admins only; others get 403 with required_permission ADMIN_ACCESS."""

    class _IsAdmin(BasePermission):
        def has_permission(self, request, view) -> bool:
            user = request.user
            if user and user.is_authenticated and user.role != ADMIN:
                raise PermissionRequired(required_permission="ADMIN_ACCESS")
            return bool(user and user.is_authenticated)

    return _IsAdmin


class HasPermissionFor(BasePermission):
    """Pick the permission by HTTP method from the view's `permission_for`.

    permission_for = {"GET": "devices.view", "POST": "devices.control", "*": "devices.view"}:
    HEAD and OPTIONS need what GET needs; a method not listed needs "*" when given, else
    only a signed-in user (DRF then answers 405 for a method the view lacks).
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needs = view.permission_for
        method = request.method
        if method in ("HEAD", "OPTIONS") and "GET" in needs:
            method = "GET"
        name = needs.get(method, needs.get("*"))
        if name:
            require(user, name)
        return True
