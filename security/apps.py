"""The security app's start-up: its beat row."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SecurityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "security"

    def ready(self) -> None:
        from . import periodic

        post_migrate.connect(
            periodic.setup_periodic_tasks, sender=self, dispatch_uid="security.schedules"
        )
