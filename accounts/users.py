"""User administration: create, update, delete, roles and single permission grants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from kasamonitor.errors import Conflict
from security.services import audit_record

from . import sessions
from .exceptions import LastAdmin
from .models import User
from .passwords import check_policy
from .roles import ADMIN, PERMISSIONS, ROLE_PERMISSIONS, SPEC_ALIASES, VIEWER


def _ensure_another_admin(user: User) -> None:
    """Refuse when `user` is the last active admin (rows locked: two demotions can't race)."""
    admins = set(
        User.objects.select_for_update()
        .filter(role=ADMIN, is_active=True)
        .values_list("pk", flat=True)
    )
    if user.pk in admins and len(admins) == 1:
        raise LastAdmin()


def _permission_names(names: list[str]) -> list[str]:
    resolved = [SPEC_ALIASES.get(name, name) for name in names]
    unknown = sorted(set(resolved) - set(PERMISSIONS))
    if unknown:
        raise ValidationError({"permissions": [f"Unknown permission: {', '.join(unknown)}."]})
    return resolved


def user_set_permissions(user: User, names: list[str]) -> None:
    """Grant exactly these permissions beyond the user's role (e.g. ["data.export"])."""
    extra = set(_permission_names(names)) - set(ROLE_PERMISSIONS[user.role])
    perms = Permission.objects.filter(content_type__app_label="accounts", codename__in=extra)
    user.user_permissions.set(perms)
    for cache_attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache_attr, None)


def user_create(
    *,
    actor,
    username: str,
    email: str,
    password: str,
    full_name: str = "",
    role: str = VIEWER,
    is_active: bool = True,
    permissions: list[str] | None = None,
    request=None,
) -> User:
    """Create a user with a policy-checked password."""
    check_policy(password, User(username=username, email=email, full_name=full_name))
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                email=email,
                password=password,
                full_name=full_name,
                role=role,
                is_active=is_active,
            )
            if permissions:
                user_set_permissions(user, permissions)
    except IntegrityError as exc:
        raise Conflict("A user with that username or email already exists.") from exc
    audit_record("user_created", actor=actor, request=request, target=user, details={"role": role})
    return user


def _changes(user: User, data: dict[str, Any]) -> dict[str, tuple]:
    fields = ("username", "email", "full_name", "role", "is_active")
    return {
        f: (getattr(user, f), data[f]) for f in fields if f in data and getattr(user, f) != data[f]
    }


@transaction.atomic
def user_update(*, actor, user: User, data: dict[str, Any], request=None) -> User:
    """Change a user's details, role, active flag, password or extra permissions."""
    changes = _changes(user, data)
    demoted = "role" in changes and changes["role"][0] == ADMIN
    disabled = "is_active" in changes and not changes["is_active"][1]
    if demoted or disabled:
        _ensure_another_admin(user)
    for field, (_old, new) in changes.items():
        setattr(user, field, new)
    if data.get("password"):
        check_policy(data["password"], user)
        user.set_password(data["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict("A user with that username or email already exists.") from exc
    if "permissions" in data:
        user_set_permissions(user, data["permissions"])
    if disabled or data.get("password"):
        sessions.session_end_all(user, reason="account_changed", actor=actor, request=request)
    _audit_update(actor, user, changes, data, request)
    return user


def _audit_update(actor, user: User, changes: dict, data: dict, request) -> None:
    details = {field: {"from": old, "to": new} for field, (old, new) in changes.items()}
    if "permissions" in data:
        details["permissions"] = data["permissions"]
    if data.get("password"):
        details["password"] = "changed"
    audit_record("user_updated", actor=actor, request=request, target=user, details=details)
    if "role" in changes:
        audit_record(
            "role_changed",
            actor=actor,
            request=request,
            target=user,
            severity="warning",
            details=details["role"],
        )


@transaction.atomic
def user_delete(*, actor, user: User, request=None) -> None:
    """Delete a user (never the last active admin)."""
    if user.role == ADMIN:
        _ensure_another_admin(user)
    audit_record(
        "user_deleted",
        actor=actor,
        request=request,
        target=user,
        details={"username": user.username, "role": user.role},
    )
    user.delete()


def user_set_active(*, actor, user: User, active: bool, request=None) -> User:
    return user_update(actor=actor, user=user, data={"is_active": active}, request=request)
