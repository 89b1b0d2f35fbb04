"""Write one poll's readings and fold its energy into hourly and daily rollups, in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db import connection
from django.db.models import Model
from django.utils import timezone

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
    row is read back first and two writers cannot lose each other's energy. A touched
    hour gets updated_at = now: billing looks at the hours written since it last looked,
    and prices again those whose energy differs from the energy it priced.
    """
    insert_readings(
        (r.device_id, r.timestamp, r.is_on, r.power_w, r.voltage, r.current,
         r.energy_total_kwh, r.energy_delta_kwh)
        for r in readings
    )  # fmt: skip
    _add(HourlyRollup, "hour", hours, now=timezone.now())
    _add(DailyRollup, "day", days)


def insert_readings(rows: Iterable[Sequence]) -> None:
    """Insert readings given as tuples in READING_COLUMNS order (COPY on PostgreSQL)."""
    bulk.insert(Reading, READING_COLUMNS, rows)


def _add(model: type[Model], key: str, buckets: dict, now: datetime | None = None) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    greatest = "MAX" if connection.vendor == "sqlite" else "GREATEST"  # the 2-argument max
    sums = [f"{c} = {table}.{c} + excluded.{c}" for c in ADDED]
    sums.append(f"max_power_w = {greatest}({table}.max_power_w, excluded.max_power_w)")
    columns = ["device_id", key, *ADDED, "max_power_w"]
    daily = model is DailyRollup
    if daily:
        columns.append("backfilled")
        sums.append(f"backfilled = ({table}.backfilled OR excluded.backfilled)")
    else:
        columns.append("updated_at")
        sums.append("updated_at = excluded.updated_at")
    rows = [
        (device_id, k, b.energy_kwh, b.power_sum_w, b.samples, b.on_seconds, b.max_power_w,
         b.backfilled if daily else now)
        for (device_id, k), b in buckets.items()
    ]  # fmt: skip
    bulk.upsert(model, columns, rows, conflict=["device_id", key], updates=sums)
