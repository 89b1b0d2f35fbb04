"""The nightly cleanup removes expired sessions, reset tokens, codes and JWTs, and only those."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.cleanup import prune_expired
from accounts.models import EmailVerificationCode, LoginSession, PasswordResetToken
from accounts.periodic import CLEANUP

pytestmark = pytest.mark.django_db


def test_it_removes_what_expired_and_keeps_what_is_live(admin_user):
    now = timezone.now()
    old = now - timedelta(days=40)
    live = LoginSession.objects.create(user=admin_user, expires_at=now + timedelta(days=1))
    recent_end = LoginSession.objects.create(
        user=admin_user, expires_at=now + timedelta(days=1), revoked_at=now - timedelta(days=1)
    )
    LoginSession.objects.create(user=admin_user, expires_at=old)
    LoginSession.objects.create(user=admin_user, expires_at=now, revoked_at=old)
    PasswordResetToken.objects.create(user=admin_user, token_hash="a" * 64, expires_at=old)
    fresh = PasswordResetToken.objects.create(
        user=admin_user, token_hash="b" * 64, expires_at=now + timedelta(minutes=30)
    )
    EmailVerificationCode.objects.create(user=admin_user, code_hash="c", expires_at=old)
    OutstandingToken.objects.create(user=admin_user, jti="j1", token="t", expires_at=old)
    OutstandingToken.objects.create(
        user=admin_user, jti="j2", token="t", expires_at=now + timedelta(days=7)
    )

    removed = prune_expired()

    assert removed == {"sessions": 2, "reset_tokens": 1, "email_codes": 1, "jwts": 1}
    assert set(LoginSession.objects.all()) == {live, recent_end}
    assert list(PasswordResetToken.objects.all()) == [fresh]
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == ["j2"]


def test_the_cleanup_is_scheduled_nightly():
    task = PeriodicTask.objects.get(name=CLEANUP)
    assert task.task == "accounts.tasks.prune_expired" and task.crontab.hour == "4"
