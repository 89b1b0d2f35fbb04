"""Helpers for the insights tests: night rollups with a mean power, plans saved in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from devices.models import HourlyRollup

HOUR = timedelta(hours=1)


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
