"""Celery tasks: thin wrappers around the devices services."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from . import maintenance, services
from .models import Device

REDISCOVERY_DEBOUNCE = 60  # seconds


@shared_task(ignore_result=True)
def poll_devices() -> None:
    services.device_poll_all()


@shared_task
def poll_device(device_id: int) -> dict:
    device = Device.objects.filter(pk=device_id).first()
    if device is None:
        return {"skipped": True}
    summary = services.device_poll_one(device)
    return {"succeeded": summary.succeeded, "failed": summary.failed, "skipped": summary.skipped}


@shared_task(ignore_result=True)
def discover_devices() -> None:
    services.device_discover(add_new=False)


@shared_task(ignore_result=True)
def prune_readings() -> None:
    maintenance.prune_readings()


def schedule_rediscovery() -> None:
    """Look for devices that went offline at a new IP soon, at most once a minute."""
    if cache.add("devices:rediscovery", 1, timeout=REDISCOVERY_DEBOUNCE):
        discover_devices.delay()
