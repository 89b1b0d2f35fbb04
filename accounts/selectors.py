"""Reads of the accounts app."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from kasamonitor.errors import NotFound

from . import totp
from .models import LoginSession, User
from .sessions import current_session_id  # noqa: F401 (public read, for the account page)


def user_get(pk: int) -> User:
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise NotFound("User not found.")
    return user


def user_list(
    *, role: str | None = None, active: bool | None = None, search: str = ""
) -> QuerySet[User]:
    """Return users filtered by role, active flag and a search in username, email and name."""
    users = User.objects.prefetch_related("groups", "user_permissions").order_by("username")
    if role:
        users = users.filter(role=role)
    if active is not None:
        users = users.filter(is_active=active)
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(full_name__icontains=search)
        )
    return users


def two_factor_user_ids() -> set[int]:
    """Return the ids of the users with a confirmed TOTP device."""
    return set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))


def session_list(user: User) -> list[LoginSession]:
    """Return the user's active login sessions, most recently used first."""
    return list(LoginSession.objects.active().filter(user=user).order_by("-last_activity"))


def two_factor_status(user: User) -> dict:
    """Return the user's 2FA state (enabled, backup codes left) as the account page shows it."""
    return totp.status(user)
