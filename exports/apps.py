"""The exports app's start-up: its default beat rows."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ExportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exports"

    def ready(self):
        from .periodic import setup_periodic_tasks

        post_migrate.connect(
            setup_periodic_tasks, sender=self, dispatch_uid="exports_periodic_tasks"
        )
