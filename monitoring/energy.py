"""Reads of the devices app's readings and rollups, and of billing's costs: the one place
monitoring queries them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from billing import selectors as billing_selectors
from devices import selectors as device_selectors

from .conditions import Sample


def power_samples(device_ids: list[int], since: datetime) -> dict[int, list[Sample]]:
    """Return each device's (timestamp, power_w) readings since `since`, oldest first."""
    rows = (
        device_selectors.readings_since(device_ids=device_ids, since=since)
        .order_by("device_id", "timestamp")
        .values_list("device_id", "timestamp", "power_w")
    )
    samples: dict[int, list[Sample]] = defaultdict(list)
    for device_id, ts, power in rows.iterator(chunk_size=5000):
        samples[device_id].append((ts, power))
    return samples


def period_start(period: str, now: datetime) -> tuple[datetime, datetime]:
    """Return (local midnight today, local start of the period) as aware datetimes."""
    local = timezone.localtime(now)
    today = timezone.make_aware(datetime.combine(local.date(), time.min))
    if period == "month":
        return today, today.replace(day=1)
    return today, today


def period_totals(
    device_id: int | None, period: str, now: datetime
) -> tuple[float, Decimal | None]:
    """Return (kWh, cost) used in the current local day or month, for one device or all.

    Earlier days come from daily rollups and billing's daily costs; today from hourly
    rollups, which each poll updates, with billing's cost of each priced hour, so the total
    is current. Cost is None when nothing has been priced yet.
    """
    today, start = period_start(period, now)
    scope = {"device_id": device_id} if device_id else {}
    hourly = device_selectors.hourly_since(start=_hour_floor(today)).filter(**scope)
    hourly = billing_selectors.rollups_priced(hourly).aggregate(
        kwh=Sum("energy_kwh"), money=Sum("cost"), priced=Count("cost")
    )
    kwh, money, priced = hourly["kwh"] or 0, hourly["money"] or Decimal(0), hourly["priced"]
    if start < today:
        first, until = timezone.localdate(start), timezone.localdate(today)
        last = until - timedelta(days=1)
        days = device_selectors.daily_in(first=first, last=last).filter(**scope)
        kwh += days.aggregate(kwh=Sum("energy_kwh"))["kwh"] or 0
        costs = billing_selectors.daily_costs([device_id] if device_id else None, first, last)
        money += sum(costs.values(), Decimal(0))
        priced += len(costs)
    return kwh, (money if priced else None)


def _hour_floor(moment: datetime) -> datetime:
    # Rollup hours are UTC; a zone with a half-hour offset shares its first bucket.
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def monitored_devices(*, emeter_only: bool = False):
    """Return the enabled devices, optionally only those that measure power."""
    return device_selectors.devices_enabled(emeter_only=emeter_only)
