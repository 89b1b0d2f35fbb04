"""Write one poll's readings and fold its energy into hourly and daily rollups, in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Model

from . import bulk
from .ingest import Bucket
from .models import READING_COLUMNS, DailyRollup, HourlyRollup, Reading

ADDED = ["energy_kwh", "power_sum_w", "samples", "on_seconds"]  # summed on conflict

HourKey = tuple[int, datetime]
DayKey = tuple[int, date]


def write(
    readings: list[Reading], hours: dict[HourKey, Bucket], days: dict[DayKey, Bucket]
) -> None:
    """Insert the readings and add the buckets to the rollups (call inside a transaction).

    One statement per rollup table: an upsert that adds to the stored sums in SQL, so no
    row is read back first and two writers cannot lose each other's energy. Touched rows
    get cost=NULL: billing re-prices them.
    """
    insert_readings(
        (r.device_id, r.timestamp, r.is_on, r.power_w, r.voltage, r.current,
         r.energy_total_kwh, r.energy_delta_kwh)
        for r in readings
    )  # fmt: skip
    _add(HourlyRollup, "hour", hours)
    _add(DailyRollup, "day", days)


def insert_readings(rows: Iterable[Sequence]) -> None:
    """Insert readings given as tuples in READING_COLUMNS order (COPY on PostgreSQL)."""
    bulk.insert(Reading, READING_COLUMNS, rows)


def _add(model: type[Model], key: str, buckets: dict) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    greatest = "MAX" if connection.vendor == "sqlite" else "GREATEST"  # the 2-argument max
    sums = [f"{c} = {table}.{c} + excluded.{c}" for c in ADDED]
    sums.append(f"max_power_w = {greatest}({table}.max_power_w, excluded.max_power_w)")
    sums.append("cost = NULL")
    columns = ["device_id", key, *ADDED, "max_power_w", "cost"]
    daily = model is DailyRollup
    if daily:
        columns.append("backfilled")
        sums.append(f"backfilled = ({table}.backfilled OR excluded.backfilled)")
    rows = [
        (device_id, k, b.energy_kwh, b.power_sum_w, b.samples, b.on_seconds, b.max_power_w,
         None, *((b.backfilled,) if daily else ()))
        for (device_id, k), b in buckets.items()
    ]  # fmt: skip
    bulk.upsert(model, columns, rows, conflict=["device_id", key], updates=sums)


def refresh_daily_costs(device_ids: Iterable[int], days: Iterable[date], tz) -> int:
    """Set DailyRollup.cost to the sum of its hours' costs (None while any hour is unpriced)."""
    device_ids, days = set(device_ids), set(days)
    if not device_ids or not days:
        return 0
    start = datetime(min(days).year, min(days).month, min(days).day, tzinfo=tz)
    end = datetime.combine(max(days) + timedelta(days=1), start.timetz())
    sums: dict[DayKey, Decimal | None] = defaultdict(Decimal)
    hourly = HourlyRollup.objects.filter(
        device_id__in=device_ids, hour__gte=start, hour__lt=end
    ).values_list("device_id", "hour", "cost")
    for device_id, hour, cost in hourly:
        key = (device_id, hour.astimezone(tz).date())
        sums[key] = None if cost is None or sums[key] is None else sums[key] + cost
    changed = []
    for row in DailyRollup.objects.filter(device_id__in=device_ids, day__in=days):
        cost = sums.get((row.device_id, row.day))
        if cost != row.cost:
            row.cost = cost
            changed.append(row)
    DailyRollup.objects.bulk_update(changed, ["cost"], batch_size=500)
    return len(changed)


def hourly_costs_set(start: datetime, end: datetime, cost) -> int:
    """Set HourlyRollup.cost of the hours in [start, end) to `cost` (a value or an expression
    over the row, e.g. a Subquery of billing's prices), in one UPDATE."""
    return HourlyRollup.objects.filter(hour__gte=start, hour__lt=end).update(cost=cost)
