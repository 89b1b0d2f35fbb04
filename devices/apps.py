from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DevicesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "devices"

    def ready(self) -> None:
        from .schedules import setup_periodic_tasks

        post_migrate.connect(
            setup_periodic_tasks, sender=self, dispatch_uid="devices.setup_periodic_tasks"
        )
