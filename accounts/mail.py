"""The mails the accounts app sends (text templates in templates/accounts/email/)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from .models import User


def _send(user: User, template: str, subject: str, **context) -> None:
    body = render_to_string(f"accounts/email/{template}.txt", {"user": user, **context})
    send_mail(f"[Kasa Monitor] {subject}", body, None, [user.email])


def send_password_reset(user: User, token: str, *, minutes: int) -> None:
    link = f"{settings.FRONTEND_URL}/reset-password?token={token}"
    _send(user, "password_reset", "Reset your password", link=link, token=token, minutes=minutes)


def send_verification_code(user: User, code: str, *, minutes: int) -> None:
    _send(user, "verification_code", "Your verification code", code=code, minutes=minutes)
