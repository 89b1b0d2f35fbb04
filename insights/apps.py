"""The insights app's start-up: its beat rows (recording closed billing periods, detecting
appliance runs) and the detection after each poll."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"

    def ready(self) -> None:
        from devices.signals import rollups_updated

        from .periodic import setup_periodic_tasks
        from .receivers import detect_runs_after_poll

        rollups_updated.connect(detect_runs_after_poll, dispatch_uid="insights.detect_runs")

        post_migrate.connect(
            setup_periodic_tasks, sender=self, dispatch_uid="insights.setup_periodic_tasks"
        )
