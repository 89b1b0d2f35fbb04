"""Local time: which prices apply at a moment, and the moments at which they may change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from billing.decimals import ZERO
from billing.periods import MICROSECOND, Versions
from billing.plans.prices import DAY_MINUTES, fallback_rate, period_pieces, season_months


def prices_for_month(plan: Mapping[str, Any], month: int) -> Mapping[str, Any]:
    """The prices in force in a local month: its season's, or the plan's own."""
    for season in plan["seasonal_rates"]:
        if month in season_months(season):
            return season
    return plan


def band_rate(prices: Mapping[str, Any], local: datetime) -> Decimal:
    """The per-kWh rate that does not depend on tiers, at a local wall-clock time.

    The time-of-use period's rate if there are periods (the fallback rate in hours none
    covers); else the flat rate, unless the price is tiers alone, where the tier supplies
    the whole rate.
    """
    periods = prices["time_of_use_rates"]
    if not periods:
        return ZERO if prices["tier_rates"] else prices["rate_per_kwh"]
    minute, day = local.hour * 60 + local.minute, local.weekday()
    for period in periods:
        if day in period["days_of_week"] and any(s <= minute < e for s, e in period_pieces(period)):
            return period["rate"]
    return fallback_rate(prices)


class PriceChanges:
    """The moments where a price may change: plan changes, local midnights, period edges and
    daylight-saving shifts. Cached per plan version and local day."""

    def __init__(self, versions: Versions) -> None:
        self.versions = versions
        self._days: dict[tuple[int, date], list[datetime]] = {}

    def between(self, start: datetime, end: datetime) -> list[datetime]:
        """The moments strictly between start and end, in order."""
        moments = []
        for low, high, i in self.versions.spans(start, end):
            if low > start:
                moments.append(low)
            for day in _local_days(low, high, self.versions.zones[i]):
                moments += [m for m in self._day(i, day) if low < m < high]
        return moments

    def _day(self, version: int, day: date) -> list[datetime]:
        key = (version, day)
        if key not in self._days:
            plan, zone = self.versions.plans[version], self.versions.zones[version]
            self._days[key] = day_changes(plan, zone, day)
        return self._days[key]


def day_changes(plan: Mapping[str, Any], zone: ZoneInfo, day: date) -> list[datetime]:
    """Moments (UTC) in a local day where the price may change.

    Each wall-clock edge is taken at both folds, so an edge inside the repeated hour of
    the autumn change cuts both times that hour is lived; the offset change itself is a
    moment too, so no piece of time straddles a jump of the clock.
    """
    periods = prices_for_month(plan, day.month)["time_of_use_rates"]
    weekday = day.weekday()
    edges = {0} | {
        edge % DAY_MINUTES
        for period in periods
        if weekday in period["days_of_week"]
        for edge in (period["start_minute"], period["end_minute"])
    }
    walls = [
        datetime.combine(day, time(m // 60, m % 60, fold=fold), zone)
        for m in edges
        for fold in (0, 1)
    ]
    return sorted({wall.astimezone(UTC) for wall in walls} | set(_offset_changes(zone, day)))


@lru_cache(maxsize=4096)
def _offset_changes(zone: ZoneInfo, day: date) -> tuple[datetime, ...]:
    """The moment (UTC) the zone's UTC offset changes during the local day, if it does."""
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    seconds = int((datetime.combine(day + timedelta(days=1), time(), zone) - start).total_seconds())

    def offset(second: int) -> timedelta | None:
        return (start + timedelta(seconds=second)).astimezone(zone).utcoffset()

    before, low, high = offset(0), 0, seconds - 1
    if offset(high) == before:
        return ()
    while high - low > 1:  # offset(low) is the old offset, offset(high) the new one
        middle = (low + high) // 2
        low, high = (middle, high) if offset(middle) == before else (low, middle)
    return (start + timedelta(seconds=high),)


def _local_days(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    first, last = start.astimezone(zone).date(), (end - MICROSECOND).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
