"""Rollup and reading rows for tests that need history without polling for a year."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from devices.models import DailyRollup, HourlyRollup


def hourly(device, start: datetime, hours: int, kwh: float = 0.1, power: float = 100.0, cost=None):
    rows = [
        HourlyRollup(
            device=device, hour=start + timedelta(hours=n), energy_kwh=kwh,
            power_sum_w=power * 60, samples=60, max_power_w=power * 1.5,
            on_seconds=3600, cost=None if cost is None else Decimal(str(cost)),
        )
        for n in range(hours)
    ]  # fmt: skip
    return HourlyRollup.objects.bulk_create(rows)


def daily(device, first_day, days: int, kwh: float = 2.4, power: float = 100.0, cost=None):
    rows = [
        DailyRollup(
            device=device, day=first_day + timedelta(days=n), energy_kwh=kwh,
            power_sum_w=power * 1440, samples=1440, max_power_w=power * 1.5,
            on_seconds=86400, cost=None if cost is None else Decimal(str(cost)),
        )
        for n in range(days)
    ]  # fmt: skip
    return DailyRollup.objects.bulk_create(rows)
