"""User administration: create, update, delete, roles and single permission grants.

Delegated administration never escalates (ensure_can_manage): giving a role other than
viewer, changing a role or grants, or acting on a user who has more than viewer rights
needs users.permissions; only admins create, change or remove admins; and a non-admin
only manages users whose permissions are all their own too. The last active admin is
never removed, disabled or demoted (the Django admin console keeps this rule as well)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from kasamonitor.errors import Conflict, PermissionRequired
from security.services import audit_record

from . import sessions
from .errors import LastAdmin
from .models import User
from .passwords import check_policy
from .permissions import effective_permissions, require
from .roles import ADMIN, PERMISSIONS, ROLE_PERMISSIONS, SPEC_ALIASES, VIEWER


def ensure_another_admin(user: User) -> None:
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


def _grants(user: User) -> set[str]:
    return set(user.user_permissions.values_list("codename", flat=True))


def ensure_can_manage(
    actor, *, target: User | None = None, role: str | None = None, permissions=None
) -> None:
    """Refuse (403) user administration that would give `actor` more than they hold.

    `role`: the role being given (on update: any role change); `permissions`: the grants
    being set. `actor` None is the system itself (self-registration makes viewers).
    """
    if actor is None or actor.role == ADMIN:
        return
    given = set(_permission_names(permissions or []))
    held = _grants(target) if target is not None else set()
    roles = {r for r in (role, getattr(target, "role", None)) if r}
    access_change = bool(given) or (
        target is not None and (role is not None or permissions is not None)
    )
    if access_change or roles - {VIEWER} or held:
        require(actor, "users.permissions")
    if ADMIN in roles:
        raise PermissionRequired(
            "Only an admin can create, change or remove an admin account.",
            required_permission="ADMIN_ACCESS",
        )
    wanted = given | held | {p for r in roles for p in ROLE_PERMISSIONS[r]}
    missing = sorted(wanted - set(effective_permissions(actor)))
    if missing:
        raise PermissionRequired(
            "You can only give, or manage users with, permissions you hold yourself.",
            required_permission=missing[0],
        )


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
    ensure_can_manage(actor, role=role, permissions=permissions)
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
    ensure_can_manage(
        actor, target=user, role=data.get("role"), permissions=data.get("permissions")
    )
    changes = _changes(user, data)
    demoted = "role" in changes and changes["role"][0] == ADMIN
    disabled = "is_active" in changes and not changes["is_active"][1]
    if demoted or disabled:
        ensure_another_admin(user)
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
    ensure_can_manage(actor, target=user)
    if user.role == ADMIN:
        ensure_another_admin(user)
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
