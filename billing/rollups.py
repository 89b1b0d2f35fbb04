"""The one module where billing reads the devices app's hourly rollups: the energy it prices.

Energy is read through devices.selectors; costs stay billing's (HourlyCost, DailyCost).
Which hours need pricing is billing's own knowledge: HourlyCost.kwh is the energy an hour
was priced with, so an hour whose rollup has no stored cost for its present energy
(a poll, a backfill or an import wrote it since) is pending.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, Max, Min, OuterRef, Sum

from billing.decimals import ZERO, to_decimal
from billing.models import HourlyCost
from devices.selectors import device_list, hourly_all, hourly_between, hourly_in


def _all_hours(start: datetime, end: datetime):
    return hourly_in(start=start, end=end)


def energy_rows(start: datetime, end: datetime) -> list[tuple[int, datetime, float]]:
    """Return (device pk, UTC hour, kWh) of every device's rollups for hours in [start, end)."""
    ids = list(device_list().values_list("id", flat=True))
    rows = hourly_between(device_ids=ids, start=start, end=end)
    return list(rows.values_list("device_id", "hour", "energy_kwh"))


def household_kwh(start: datetime, end: datetime) -> Decimal:
    """Return the exact sum of all devices' kWh for hours in [start, end), as the engine adds it."""
    values = _all_hours(start, end).values_list("energy_kwh", flat=True)
    return sum((to_decimal(max(kwh, 0.0)) for kwh in values), ZERO)


def household_hours(start: datetime, end: datetime) -> list[tuple[datetime, float]]:
    """Return (UTC hour, kWh of all devices) for hours in [start, end)."""
    rows = _all_hours(start, end).values("hour").annotate(kwh=Sum("energy_kwh")).order_by("hour")
    return [(row["hour"], row["kwh"]) for row in rows]


def pending_hours() -> list[datetime]:
    """Return the hours with a rollup that has no stored cost for its present energy: never
    priced, or changed since (by a poll, a backfill or an import). One anti-join in SQL
    on HourlyCost's (device, hour) key."""
    priced = HourlyCost.objects.filter(
        device_id=OuterRef("device_id"), hour=OuterRef("hour"), kwh=OuterRef("energy_kwh")
    )
    rows = hourly_all().filter(~Exists(priced)).order_by().values_list("hour", flat=True)
    return list(rows.distinct())


def data_span() -> tuple[datetime | None, datetime | None]:
    """Return the first and the last hour any rollup has."""
    span = hourly_all().aggregate(first=Min("hour"), last=Max("hour"))
    return span["first"], span["last"]
