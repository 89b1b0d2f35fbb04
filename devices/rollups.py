"""Write one poll's readings and fold its energy into hourly and daily rollups, in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Model

from .ingest import Bucket
from .models import DailyRollup, HourlyRollup, Reading

FIELDS = ["energy_kwh", "power_sum_w", "samples", "max_power_w", "on_seconds", "cost"]

HourKey = tuple[int, datetime]
DayKey = tuple[int, date]


def write(
    readings: list[Reading], hours: dict[HourKey, Bucket], days: dict[DayKey, Bucket]
) -> None:
    """Insert the readings and add the buckets to the rollups (call inside a transaction).

    Two queries per rollup table: fetch the existing rows of the touched keys, then one
    upsert with the new sums. Poll runs never overlap (devices.polling's lock), so the
    read-add-write cannot race with itself. Touched rows get cost=None: billing re-prices.
    """
    Reading.objects.bulk_create(readings, batch_size=500)
    _upsert(HourlyRollup, "hour", hours)
    _upsert(DailyRollup, "day", days)


def _upsert(model: type[Model], key: str, buckets: dict) -> None:
    if not buckets:
        return
    device_ids = {pk for pk, _ in buckets}
    keys = {k for _, k in buckets}
    existing = {
        (row.device_id, getattr(row, key)): row
        for row in model.objects.filter(device_id__in=device_ids, **{f"{key}__in": keys})
    }
    rows = [_merged(model, key, pk, k, b, existing.get((pk, k))) for (pk, k), b in buckets.items()]
    fields = FIELDS + (["backfilled"] if model is DailyRollup else [])
    model.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["device", key],
        update_fields=fields,
        batch_size=500,
    )


def _merged(model, key, device_id, k, bucket: Bucket, old) -> Model:
    total = Bucket()
    if old is not None:
        total = Bucket(
            old.energy_kwh, old.power_sum_w, old.samples, old.max_power_w, old.on_seconds,
            getattr(old, "backfilled", False),
        )  # fmt: skip
    total.add(bucket)
    values = {
        "energy_kwh": total.energy_kwh,
        "power_sum_w": total.power_sum_w,
        "samples": total.samples,
        "max_power_w": total.max_power_w,
        "on_seconds": total.on_seconds,
        "cost": None,
    }
    if model is DailyRollup:
        values["backfilled"] = total.backfilled
    return model(device_id=device_id, **{key: k}, **values)


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
