"""Reads of the accounts app."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kasamonitor.errors import NotFound

from .models import User


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
