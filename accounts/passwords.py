"""Passwords: history, change, and the reset flow shared by both reset APIs."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from security.services import audit_record

from . import mail, ratelimits, sessions
from .errors import InvalidCredentials, InvalidPassword, InvalidResetToken
from .models import PasswordHistory, PasswordResetToken, User


def check_policy(password: str, user: User | None, *, field: str = "password") -> None:
    """Run the password validators; raise a 400 naming `field` with every broken rule."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidPassword(exc.messages[0], field=field, errors={field: exc.messages}) from exc


def recent_hashes(user: User, count: int) -> list[str]:
    """Return the hashes of the user's last `count` passwords, the current one first."""
    hashes = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True))
    if user.password and user.password not in hashes:
        hashes.insert(0, user.password)
    return hashes[:count]


def is_recent(user: User, password: str, count: int) -> bool:
    return any(check_password(password, encoded) for encoded in recent_hashes(user, count))


def record_history(user: User) -> None:
    """Remember the user's current password hash, once; keep only as many as the policy needs.

    Called when a user is created (whatever the path: Django's create_user hashes without
    set_password, so its password_changed hook never runs) and after each set_password.
    """
    newest = PasswordHistory.objects.filter(user=user).values_list("password", flat=True).first()
    if not user.has_usable_password() or newest == user.password:
        return
    keep = max(settings.PASSWORD_POLICY["history"], 1)
    PasswordHistory.objects.create(user=user, password=user.password)
    stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[keep:]
    PasswordHistory.objects.filter(pk__in=list(stale)).delete()


def _set_password(user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])


def current_password_check(user: User, password: str, *, request=None) -> None:
    """Check a signed-in user's current password, under the same limits as a login."""
    account = str(user.pk)
    ratelimits.password_guard(request, account)
    if not ratelimits.password_checked(account, user.check_password(password)):
        audit_record("password_change", actor=user, request=request, outcome="failure")
        raise InvalidCredentials("The current password is incorrect.")


def password_change(user: User, *, current: str, new: str, keep_session=None, request=None):
    """Change the password; the current session stays, every other session ends."""
    current_password_check(user, current, request=request)
    if current == new:
        raise ValidationError(
            {"newPassword": ["The new password must differ from the current one."]}
        )
    check_policy(new, user, field="newPassword")
    with transaction.atomic():
        _set_password(user, new)
        password_changed(user, keep_session=keep_session, request=request)


def password_changed(user: User, *, keep_session=None, request=None) -> None:
    """After a user changed their own password (API or admin): end every other session."""
    sessions.session_end_all(user, reason="password_changed", keep=keep_session, actor=user)
    audit_record("password_change", actor=user, request=request, target=user)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset_issue(user: User) -> str:
    """Create a reset token (64 hex chars) for the user, ending any earlier unused ones."""
    token = secrets.token_hex(32)
    now = timezone.now()
    with transaction.atomic():
        PasswordResetToken.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        PasswordResetToken.objects.create(
            user=user,
            token_hash=_digest(token),
            expires_at=now + timedelta(minutes=settings.PASSWORD_RESET_MINUTES),
        )
    return token


def reset_send(user: User) -> None:
    """Mail the user a fresh reset link (also the admin's "force a password reset")."""
    token = reset_issue(user)
    mail.send_password_reset(user, token, minutes=settings.PASSWORD_RESET_MINUTES)


def reset_request(email: str) -> None:
    """Mail a reset link when an active account has this email; do nothing otherwise.

    Runs in the worker (tasks.send_password_reset), so the API answers in the same time
    whether or not the account exists.
    """
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is not None:
        reset_send(user)


def reset_request_queue(email: str, *, request=None) -> None:
    """Audit a reset request and let the worker mail the link (API and web form alike).

    The worker looks the account up, so the answer takes the same time whether or not the
    account exists.
    """
    from .tasks import send_password_reset

    audit_record("password_reset_requested", request=request, details={"email": email})
    send_password_reset.delay(email)


def reset_confirm(*, token: str, new_password: str, email: str | None = None, request=None):
    """Set a new password with a reset token (single use); every session of the user ends."""
    record = (
        PasswordResetToken.objects.select_related("user")
        .filter(
            token_hash=_digest(token or ""), used_at__isnull=True, expires_at__gt=timezone.now()
        )
        .first()
    )
    if record is None or (email and record.user.email.lower() != email.strip().lower()):
        raise InvalidResetToken()
    user = record.user
    check_policy(new_password, user, field="newPassword")
    with transaction.atomic():
        used = PasswordResetToken.objects.filter(pk=record.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not used:  # a parallel request redeemed it first
            raise InvalidResetToken()
        _set_password(user, new_password)
        sessions.session_end_all(user, reason="password_reset")
    audit_record("password_reset", actor=user, request=request, target=user)
