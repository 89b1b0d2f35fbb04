"""The billing app's start-up: its beat row, pricing the hours each poll writes, and the
reader the devices app shows costs through."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self) -> None:
        from devices.selectors import costs_read_by
        from devices.signals import rollups_updated

        from .periodic import setup_periodic_tasks
        from .receivers import price_updated_rollups
        from .selectors import RollupCosts

        rollups_updated.connect(price_updated_rollups, dispatch_uid="billing.price_rollups")
        costs_read_by(RollupCosts)
        post_migrate.connect(
            setup_periodic_tasks, sender=self, dispatch_uid="billing.setup_periodic_tasks"
        )
