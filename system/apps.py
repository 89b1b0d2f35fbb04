"""The system app: the run-time configuration every app reads."""

from django.apps import AppConfig


class SystemConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "system"
    verbose_name = "system"
