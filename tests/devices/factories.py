"""Rollup and reading rows for tests that need history without polling for a year.

A cost given to hourly() or daily() is stored where billing keeps it (HourlyCost for the
hour's energy, DailyCost for the day), as its pricing would have.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from billing.models import DailyCost, HourlyCost
from devices.models import DailyRollup, HourlyRollup


def hourly(device, start: datetime, hours: int, kwh: float = 0.1, power: float = 100.0, cost=None):
    rows = [
        HourlyRollup(
            device=device, hour=start + timedelta(hours=n), energy_kwh=kwh,
            power_sum_w=power * 60, samples=60, max_power_w=power * 1.5, on_seconds=3600,
        )
        for n in range(hours)
    ]  # fmt: skip
    if cost is not None:
        HourlyCost.objects.bulk_create(
            HourlyCost(device=device, hour=r.hour, kwh=kwh, cost=Decimal(str(cost))) for r in rows
        )
    return HourlyRollup.objects.bulk_create(rows)


def daily(device, first_day, days: int, kwh: float = 2.4, power: float = 100.0, cost=None):
    rows = [
        DailyRollup(
            device=device, day=first_day + timedelta(days=n), energy_kwh=kwh,
            power_sum_w=power * 1440, samples=1440, max_power_w=power * 1.5, on_seconds=86400,
        )
        for n in range(days)
    ]  # fmt: skip
    if cost is not None:
        DailyCost.objects.bulk_create(
            DailyCost(device=device, day=r.day, kwh=kwh, cost=Decimal(str(cost))) for r in rows
        )
    return DailyRollup.objects.bulk_create(rows)
