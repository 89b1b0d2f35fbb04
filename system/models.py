"""The run-time settings of the whole installation (one row), which every app may read."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class SystemConfig(models.Model):
    """The single row of settings an admin changes at run time (GET/PUT /api/system/config)."""

    # The same bounds as the API, so the admin form refuses what the API refuses.
    polling_interval = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(5), MaxValueValidator(86400)]
    )
    data_retention_days = models.PositiveIntegerField(
        default=365, validators=[MinValueValidator(1), MaxValueValidator(36500)]
    )
    allow_device_control = models.BooleanField(default=True)
    require_https = models.BooleanField(default=False)
    allow_registration = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "system configuration"
        verbose_name_plural = "system configuration"

    def __str__(self) -> str:
        return "System configuration"

    @classmethod
    def load(cls) -> SystemConfig:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj
