"""Daily sums of the stored hourly costs, kept beside them so long ranges read few rows.

A local day is read on the clock of the plan in force at each hour, as the engine does.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from billing.decimals import ZERO, to_decimal
from billing.models import DailyCost, DailyPeak, HourlyCost
from billing.periods import PlanVersion, Versions

REACH = timedelta(hours=27)  # a local day lies within this of any UTC moment in it


def summarise_days(versions: list[PlanVersion], start: datetime, end: datetime) -> None:
    """Recompute the daily costs and peaks of every local day touching [start, end)."""
    local = Versions(versions)
    first, last = local.local(start).date(), local.local(end - timedelta(microseconds=1)).date()
    costs: dict[tuple[int, date], list] = defaultdict(lambda: [0.0, ZERO, 0.0])
    household: dict[datetime, Decimal] = defaultdict(Decimal)
    rows = HourlyCost.objects.filter(hour__gte=start - REACH, hour__lt=end + REACH)
    rows = rows.values_list("device_id", "hour", "kwh", "cost", "co2_g")
    for device_id, hour, kwh, cost, co2 in rows:
        day = local.local(hour).date()
        if first <= day <= last:
            sums = costs[device_id, day]
            sums[0] += kwh
            sums[1] += cost
            sums[2] += co2
            household[hour] += to_decimal(max(kwh, 0.0))
    DailyCost.objects.filter(day__gte=first, day__lte=last).delete()
    DailyCost.objects.bulk_create(
        [
            DailyCost(device_id=pk, day=day, kwh=k, cost=c, co2_g=g)
            for (pk, day), (k, c, g) in costs.items()
        ],
        batch_size=1000,
    )
    DailyPeak.objects.filter(day__gte=first, day__lte=last).delete()
    DailyPeak.objects.bulk_create(_peaks(household, local), batch_size=1000)


def _peaks(household: dict[datetime, Decimal], local: Versions) -> list[DailyPeak]:
    """Each day's hour of highest household kWh (the earliest of equal ones)."""
    peaks: dict[date, DailyPeak] = {}
    for hour in sorted(household):
        day = local.local(hour).date()
        best = peaks.get(day)
        if best is None or household[hour] > best.kwh:
            peaks[day] = DailyPeak(day=day, hour=hour, kwh=household[hour])
    return list(peaks.values())
