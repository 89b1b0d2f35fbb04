"""Helpers for the insights tests: night rollups with a mean power, plans saved in time,
minute readings and appliance settings for the runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from devices.models import HourlyRollup, Reading
from insights.models import ApplianceSettings

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def power_hours(device, watts_by_hour: dict[datetime, float]) -> None:
    """One rollup per hour whose mean power is the given watts (60 samples)."""
    HourlyRollup.objects.bulk_create(
        [
            HourlyRollup(
                device=device, hour=hour, samples=60, power_sum_w=watts * 60,
                energy_kwh=watts / 1000, max_power_w=watts,
            )
            for hour, watts in watts_by_hour.items()
        ]
    )  # fmt: skip


def save_plan(client, at: datetime, plan: dict) -> None:
    with time_machine.travel(at, tick=False):
        response = client.post("/api/rates", plan, format="json")
    assert response.status_code == 201, response.json()


def minutes(device, start: datetime, powers: list[float]) -> None:
    """One reading a minute from start; each reading's energy is its power over the minute
    before it (as the device's counter would say for a steady draw). A run's energy is
    that of its readings after its first, up to the one that sees it off."""
    Reading.objects.bulk_create(
        Reading(device=device, timestamp=start + n * MINUTE, power_w=watts,
                energy_delta_kwh=watts / 60_000)
        for n, watts in enumerate(powers)
    )  # fmt: skip


def watch(device, **figures) -> None:
    ApplianceSettings.objects.create(device=device, **figures)
