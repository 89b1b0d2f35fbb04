"""The one module where billing reads the devices app's hourly rollups: the energy it prices.

Energy is read through devices.selectors; costs stay billing's (HourlyCost, DailyCost).
Which hours need pricing is billing's own knowledge: HourlyCost.kwh is the energy an hour
was priced with, so an hour whose rollup has no stored cost for its present energy (a
poll, a backfill or an import wrote it since) is pending. price_pending looks for them
only among the rollups written since it last looked (their updated_at, indexed, against
billing's RollupWatermark), less REACH.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, Max, Min, OuterRef, Sum

from billing.decimals import ZERO, to_decimal
from billing.models import HourlyCost, RollupWatermark
from devices.selectors import (
    device_list,
    hourly_all,
    hourly_between,
    hourly_in,
    hourly_written_since,
)

# A rollup write stamped before price_pending looked but committed after it (a poll, one
# device's import: seconds), or stamped by a machine whose clock is behind, is still
# looked at by the runs of this long after.
REACH = timedelta(hours=1)


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


def pending_hours(written_since: datetime | None = None) -> list[datetime]:
    """Return the hours with a rollup that has no stored cost for its present energy: never
    priced, or changed since (by a poll, a backfill or an import), among the rollups
    written from written_since - REACH on (all when None). One anti-join in SQL on
    HourlyCost's (device, hour) key, over the rollups' updated_at index."""
    since = written_since - REACH if written_since else None
    rows = hourly_written_since(since).filter(~Exists(_priced())).values_list("hour", flat=True)
    # Deduplicated here: with DISTINCT, SQLite walks the whole hour index instead of the
    # few rows written since.
    return sorted(set(rows))


def pending_device_hours(
    device_ids: list[int] | None, start: datetime, end: datetime
) -> list[tuple[int, datetime]]:
    """(device pk, hour) of the pending rollups (as pending_hours) of these devices (all when
    None) for hours in [start, end).

    Only the rollups written since billing last looked can be pending: those few rows are
    read over the updated_at index and picked here (in SQL, a filter on the devices or the
    hours could send the planner down an index over a year of rows).
    """
    looked_at = last_looked()
    rows = hourly_written_since(looked_at - REACH if looked_at else None)
    if looked_at is None:  # never looked (just upgraded, until the first run): in SQL
        rows = rows.filter(hour__gte=start, hour__lt=end)
        rows = rows if device_ids is None else rows.filter(device_id__in=device_ids)
    rows = rows.filter(~Exists(_priced())).values_list("device_id", "hour")
    wanted = None if device_ids is None else set(device_ids)
    return [
        (pk, hour) for pk, hour in rows if start <= hour < end and (wanted is None or pk in wanted)
    ]


def _priced():
    """The stored cost of the outer rollup's device and hour, for its present energy."""
    return HourlyCost.objects.filter(
        device_id=OuterRef("device_id"), hour=OuterRef("hour"), kwh=OuterRef("energy_kwh")
    )


def last_looked() -> datetime | None:
    """When price_pending last looked for pending hours (None: never, so it looks at all)."""
    return RollupWatermark.objects.values_list("looked_at", flat=True).first()


def looked(at: datetime) -> None:
    """Remember that every rollup written before `at` (less REACH) has been looked at."""
    RollupWatermark.objects.update_or_create(pk=1, defaults={"looked_at": at})


def data_span() -> tuple[datetime | None, datetime | None]:
    """Return the first and the last hour any rollup has."""
    span = hourly_all().aggregate(first=Min("hour"), last=Max("hour"))
    return span["first"], span["last"]
