"""The devices app's start-up: its beat rows, and following the system's polling interval."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DevicesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "devices"

    def ready(self) -> None:
        from system.signals import polling_interval_changed

        from .periodic import on_polling_interval_changed, setup_periodic_tasks

        post_migrate.connect(
            setup_periodic_tasks, sender=self, dispatch_uid="devices.setup_periodic_tasks"
        )
        polling_interval_changed.connect(
            on_polling_interval_changed, dispatch_uid="devices.on_polling_interval_changed"
        )
