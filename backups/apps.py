"""The backups app's start-up: backup schedules become beat rows after migrate."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_schedules(**kwargs) -> None:
    from .schedules import schedules_sync_all  # imported late: it pulls in DRF via errors

    schedules_sync_all()


class BackupsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "backups"

    def ready(self) -> None:
        # Each backup schedule must have its beat task, also after a restore or a fresh migrate.
        post_migrate.connect(_sync_schedules, sender=self, dispatch_uid="backups.sync_schedules")
