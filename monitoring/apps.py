"""The monitoring app's start-up: beat rows, default rules, and the devices signals it follows."""

import importlib.util
import logging

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


class MonitoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitoring"
    verbose_name = "Alerts and monitoring"

    def ready(self):
        from . import periodic

        post_migrate.connect(
            periodic.setup_periodic_tasks, sender=self, dispatch_uid="monitoring_schedules"
        )
        post_migrate.connect(
            periodic.ensure_default_rules, sender=self, dispatch_uid="monitoring_default_rules"
        )
        connect_device_signals()


def connect_device_signals() -> list[str]:
    """Connect to the devices app's signals that exist; return the names connected."""
    if importlib.util.find_spec("devices.signals") is None:
        return []
    device_signals = importlib.import_module("devices.signals")
    connected = []
    for name, receiver in (
        ("rollups_updated", on_rollups_updated),
        ("device_status_changed", on_device_status_changed),
    ):
        signal = getattr(device_signals, name, None)
        if signal is not None:
            signal.connect(receiver, dispatch_uid=f"monitoring_{name}")
            connected.append(name)
    return connected


# A failing rule must never break a device poll, so receivers log instead of raising.
def on_rollups_updated(sender, device_ids=(), **kwargs):
    from .services import evaluate_power_rules

    try:
        with transaction.atomic():  # a savepoint: our failure leaves the poll's transaction usable
            evaluate_power_rules(device_ids)
    except Exception:
        logger.exception("evaluating power rules failed")


def on_device_status_changed(sender, device=None, old_status="", new_status="", **kwargs):
    from .services import device_status_changed

    device = device or kwargs.get("instance")
    try:
        with transaction.atomic():
            device_status_changed(device, old_status, new_status)
    except Exception:
        logger.exception("evaluating device status rules failed")
