"""Helpers for the billing tests: hourly rollups written as a poll would, then priced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from devices.models import Device, HourlyRollup
from devices.signals import rollups_updated
from tests.factories import DeviceFactory

HOUR = timedelta(hours=1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def write_hours(device: Device, start: datetime, kwhs: list[float], *, notify=True) -> list:
    """Upsert one rollup per hour from start with these kWh, and tell billing."""
    hours = [start + HOUR * n for n in range(len(kwhs))]
    HourlyRollup.objects.bulk_create(
        [
            HourlyRollup(device=device, hour=hour, energy_kwh=kwh, samples=60)
            for hour, kwh in zip(hours, kwhs, strict=True)
        ],
        update_conflicts=True,
        unique_fields=["device", "hour"],
        update_fields=["energy_kwh", "samples", "updated_at"],  # as a poll's write
    )
    if notify:
        rollups_updated.send(sender=Device, device_ids=[device.pk], hours=hours)
    return hours


def devices(n: int) -> list[Device]:
    return [DeviceFactory() for _ in range(n)]


def forced_client(user):
    """An APIClient authenticated without a token: tokens don't survive time travel."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user=user)
    return client
