"""Nightly removal of what has expired: login sessions, reset tokens, email codes, JWTs."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from .models import EmailVerificationCode, LoginSession, PasswordResetToken

CLEANUP = "Remove expired sessions and tokens"
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


def setup_periodic_tasks(**kwargs) -> None:
    """Create the nightly cleanup schedule once; admins may edit it later (post_migrate)."""
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="4", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone=settings.TIME_ZONE,
    )  # fmt: skip
    PeriodicTask.objects.get_or_create(
        name=CLEANUP, defaults={"task": "accounts.tasks.prune_expired", "crontab": nightly}
    )
