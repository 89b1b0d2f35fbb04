"""The one module where billing touches the devices app's hourly rollups: energy in, cost out.

Energy is read through devices.selectors, costs written through devices.services. The rollup's cost column is devices' contract
with billing (devices/signals.py): a poll sets it to None, billing fills it in, and
devices.rollups.refresh_daily_costs() carries it to the daily rollups.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Max, Min, OuterRef, Subquery, Sum

from billing.decimals import ZERO, to_decimal
from billing.models import HourlyCost
from devices.selectors import device_list, hourly_all, hourly_between, hourly_in
from devices.services import hourly_costs_set, refresh_daily_costs


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
    """Return the hours whose rollup changed since billing priced it (cost is None)."""
    rows = hourly_all().filter(cost__isnull=True).values_list("hour", flat=True)
    return list(rows.distinct())


def data_span() -> tuple[datetime | None, datetime | None]:
    """Return the first and the last hour any rollup has."""
    span = hourly_all().aggregate(first=Min("hour"), last=Max("hour"))
    return span["first"], span["last"]


def mirror_costs(start: datetime, end: datetime) -> None:
    """Copy stored costs onto the rollups of [start, end), for the devices history.

    One UPDATE; a rollup whose energy changed after it was priced gets None, so it
    stays pending (a poll may have written it meanwhile).
    """
    priced = HourlyCost.objects.filter(
        device_id=OuterRef("device_id"), hour=OuterRef("hour"), kwh=OuterRef("energy_kwh")
    ).values("cost")[:1]
    hourly_costs_set(start, end, Subquery(priced))


def refresh_daily(start: datetime, end: datetime) -> None:
    """Recompute the daily rollups' cost for the local days touching [start, end)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    days = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    ids = _all_hours(start, end).values_list("device_id", flat=True).distinct()
    refresh_daily_costs(list(ids), days, zone)
