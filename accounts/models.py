from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

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

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.username
