"""Email verification: a 6-digit code by mail, stored as a keyed hash, 15 minutes, few tries."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from security.services import audit_record

from . import mail
from .errors import EmailAlreadyVerified, InvalidVerificationCode
from .models import EmailVerificationCode, User

MAX_ATTEMPTS = 5


def _digest(code: str) -> str:
    # Keyed: a plain hash of a 6-digit code would fall to a million guesses offline.
    return salted_hmac("accounts.email-code", code.strip(), algorithm="sha256").hexdigest()


def send_code(user: User) -> None:
    """Mail a fresh verification code to the user (earlier codes stop working)."""
    if user.email_verified:
        raise EmailAlreadyVerified()
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        EmailVerificationCode.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        EmailVerificationCode.objects.create(
            user=user,
            code_hash=_digest(code),
            expires_at=now + timedelta(minutes=settings.EMAIL_CODE_MINUTES),
        )
    mail.send_verification_code(user, code, minutes=settings.EMAIL_CODE_MINUTES)


def verify_code(user: User, code: str, *, request=None) -> None:
    """Mark the user's email verified when `code` is their live code."""
    record = (
        EmailVerificationCode.objects.filter(
            user=user, used_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created_at")
        .first()
    )
    if record is None or record.attempts >= MAX_ATTEMPTS:
        raise InvalidVerificationCode("No valid code: request a new verification code.")
    if not constant_time_compare(record.code_hash, _digest(code)):
        EmailVerificationCode.objects.filter(pk=record.pk).update(attempts=F("attempts") + 1)
        raise InvalidVerificationCode()
    with transaction.atomic():
        EmailVerificationCode.objects.filter(pk=record.pk).update(used_at=timezone.now())
        User.objects.filter(pk=user.pk).update(email_verified=True)
    user.email_verified = True
    audit_record("email_verified", actor=user, request=request, target=user)
