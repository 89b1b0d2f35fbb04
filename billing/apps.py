"""The billing app's start-up: its beat row, and pricing the hours each poll writes."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self) -> None:
        from devices.signals import rollups_updated

        from .periodic import setup_periodic_tasks
        from .receivers import price_updated_rollups

        rollups_updated.connect(price_updated_rollups, dispatch_uid="billing.price_rollups")
        post_migrate.connect(
            setup_periodic_tasks, sender=self, dispatch_uid="billing.setup_periodic_tasks"
        )
