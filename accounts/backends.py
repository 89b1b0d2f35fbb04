"""Log in with a username or an email address (API, admin and `authenticate()` alike)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .models import User


def find_user(identifier: str) -> User | None:
    """Return the user whose username (exact) or email (any case) is `identifier`."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    user = User.objects.filter(username=identifier).first()
    if user is None and "@" in identifier:
        user = User.objects.filter(email__iexact=identifier).first()
    return user


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = find_user(username or kwargs.get("email") or "")
        if user is None:
            # Hash anyway, so an unknown name takes as long as a wrong password.
            User().set_password(password or "")
            return None
        if user.check_password(password or "") and self.user_can_authenticate(user):
            return user
        return None
