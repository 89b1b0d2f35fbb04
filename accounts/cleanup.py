"""Nightly removal of what has expired: login sessions, reset tokens, email codes, JWTs."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from .models import EmailVerificationCode, LoginSession, PasswordResetToken

KEEP_ENDED_SESSIONS = timedelta(days=30)  # ended sessions stay visible for a while


def prune_expired() -> dict[str, int]:
    """Delete expired or long-ended records; return how many of each went."""
    now = timezone.now()
    ended_before = now - KEEP_ENDED_SESSIONS
    sessions = LoginSession.objects.filter(
        Q(expires_at__lt=ended_before) | Q(revoked_at__lt=ended_before)
    )
    return {
        "sessions": sessions.delete()[0],
        "reset_tokens": PasswordResetToken.objects.filter(expires_at__lt=now).delete()[0],
        "email_codes": EmailVerificationCode.objects.filter(expires_at__lt=now).delete()[0],
        # Blacklist rows go with their outstanding token (cascade).
        "jwts": OutstandingToken.objects.filter(expires_at__lt=now).delete()[0],
    }
