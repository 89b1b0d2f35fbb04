"""The insights app's start-up: its beat row (recording closed billing periods)."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"

    def ready(self) -> None:
        from .periodic import setup_periodic_tasks

        post_migrate.connect(
            setup_periodic_tasks, sender=self, dispatch_uid="insights.setup_periodic_tasks"
        )
