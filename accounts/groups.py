"""Keep the role groups and their permissions in the database (run after every migrate)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from .roles import PERMISSIONS, ROLE_PERMISSIONS


def ensure_role_groups(**_kwargs) -> None:
    """Create the admin/operator/viewer groups with their permissions (idempotent)."""
    from .models import User

    content_type = ContentType.objects.get_for_model(User)
    perms = {}
    for codename, label in PERMISSIONS.items():
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": label}
        )
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([perms[n] for n in names])


def sync_user_group(user) -> None:
    """Put the user in exactly the group of their role."""
    ensure = Group.objects.filter(name=user.role).first()
    if ensure is None:
        ensure_role_groups()
        ensure = Group.objects.get(name=user.role)
    others = user.groups.exclude(pk=ensure.pk).filter(name__in=list(ROLE_PERMISSIONS))
    user.groups.remove(*others)
    user.groups.add(ensure)
