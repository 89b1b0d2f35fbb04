"""Users, login sessions, password history and reset tokens, email codes, backup-code devices."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice

from .roles import ADMIN, PERMISSIONS, ROLE_CHOICES, VIEWER


class KasaUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person using Kasa Monitor; `role` decides the group (and so the permissions)."""

    first_name = None
    last_name = None
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=ROLE_CHOICES, default=VIEWER)
    email_verified = models.BooleanField(default=False)

    objects = KasaUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        permissions = list(PERMISSIONS.items())

    def save(self, *args, **kwargs):
        # The admin role is the Django superuser; nobody else may enter the operator console.
        self.is_superuser = self.is_staff = self.role == ADMIN
        super().save(*args, **kwargs)

    def check_password(self, raw_password) -> bool:
        """Django's check; a hash with older parameters is rewritten (history entry too)."""
        from django.contrib.auth.hashers import check_password

        def rehash(raw):
            old = self.password
            self.set_password(raw)
            self._password = None  # the same password: no history entry, no validator hook
            self.save(update_fields=["password"])
            # The history keeps one entry per password: the old hash of this one is replaced.
            PasswordHistory.objects.filter(user=self, password=old).update(password=self.password)

        return check_password(raw_password, self.password, rehash)

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.username


class LoginSessionQuerySet(models.QuerySet):
    def active(self) -> LoginSessionQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class LoginSession(models.Model):
    """One login on one device: every token carries its id ("sid"), so ending it ends them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    device_name = models.CharField(max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)
    # The jti of the one refresh token this session may still present (rotation).
    refresh_jti = models.CharField(max_length=64, blank=True)
    # A Django admin console login: counted apart from the API and web UI logins, so
    # console logins left open never end the household's browser sessions.
    console = models.BooleanField(default=False)

    objects = LoginSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user} on {self.device_name or 'unknown device'}"

    @property
    def public_id(self) -> str:
        return f"sess_{self.id.hex}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class PasswordHistory(models.Model):
    """A user's earlier password hashes, so a new password can't repeat the last few."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "password history"

    def __str__(self) -> str:
        return f"{self.user} password of {self.created_at:%Y-%m-%d}"


class PasswordResetToken(models.Model):
    """A single-use reset token; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reset_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"reset token of {self.user} ({self.created_at:%Y-%m-%d %H:%M})"


class EmailVerificationCode(models.Model):
    """A 6-digit email verification code; only its keyed hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"verification code of {self.user} ({self.created_at:%Y-%m-%d %H:%M})"


def normalise_code(code: str) -> str:
    """A typed 2FA code as compared: letters and digits only, upper case."""
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


def backup_code_digests(code: str) -> list[str]:
    """Return the stored forms of a backup code under the current and fallback secret keys."""
    secrets_ = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [
        salted_hmac(
            "accounts.backup-code", normalise_code(code), secret=s, algorithm="sha256"
        ).hexdigest()[:16]  # StaticToken.token holds 16 characters
        for s in secrets_
    ]


class BackupCodeDevice(StaticDevice):
    """django-otp's static device, holding hashes of the backup codes instead of the codes."""

    class Meta:
        proxy = True

    def verify_token(self, token) -> bool:
        digests = backup_code_digests(token)
        match = next((d for d in digests if self.token_set.filter(token=d).exists()), digests[0])
        return super().verify_token(match)
