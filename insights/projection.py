"""The bill projection: what the current billing period will cost by its end.

Everything is on the clock of the plan in force (the billing period's clock):

- **So far**: the household's kWh in the period's hours up to now (the devices app's hourly
  rollups, summed per hour in SQL) and their stored energy cost (billing's HourlyCost).
- **The pattern**: the last `history_days` (28) whole local days before today. For each
  day type (weekday Monday-Friday, weekend Saturday-Sunday) and each local hour of the day,
  the mean household kWh of that hour over the days of that type that have readings; a
  day without any rollup is a gap and left out. A day type without data borrows the other
  type's pattern.
- **The rest of the period**: every remaining hour gets its day type's mean for its local
  hour (the current hour only its remaining part). billing prices those hours with the
  plans in force at each moment (a plan already scheduled for later in the period
  included), after the energy used so far: the tiers apply to the projected total, so a
  projection crossing into the next tier is priced in it. The fixed charges (service,
  demand, fees and their tax) are added once. Its kg of CO2: each hour's kWh at the grid's
  intensity of its local month and hour, after the stored grams so far.
- **Low and high**: the rest of the period again, each day type's hours scaled by the
  lower and upper quartile of that type's daily totals over its mean (days with at
  least 20 measured hours; too few days: the whole window's ratios, or none).

When a period has closed, the projection that was made at its middle is kept with the
actual kWh and cost (insights.services.record_closed_period) so the page can show how
far off it was.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum

from billing import selectors as billing_selectors
from devices import selectors as device_selectors

HOUR = timedelta(hours=1)
ZERO = Decimal(0)
DEFAULT_HISTORY_DAYS = 28
WHOLE_DAY_HOURS = 20  # a day with fewer measured hours is left out of the low/high ratios
WEEKDAY, WEEKEND = "weekday", "weekend"


@dataclass(frozen=True)
class Pattern:
    hourly: dict[str, dict[int, float]]  # day type -> local hour -> mean kWh
    days: dict[str, int]  # day type -> days with readings
    ratios: dict[str, tuple[float, float]]  # day type -> (low, high) scale of the rest

    def kwh(self, kind: str, hour: int) -> float:
        hours = self.hourly[kind] or self.hourly[_other(kind)]
        return hours.get(hour, 0.0)

    def daily(self, kind: str) -> float:
        return sum((self.hourly[kind] or self.hourly[_other(kind)]).values())


@dataclass(frozen=True)
class Projection:
    period: billing_selectors.BillingPeriod
    at: datetime
    used_kwh: float
    used_cost: Decimal
    kwh: float
    energy_cost: Decimal
    fixed: Decimal
    low_kwh: float
    low_cost: Decimal
    high_kwh: float
    high_cost: Decimal
    pattern: Pattern
    history_days: int
    used_co2_g: float = 0.0
    co2_g: float = 0.0  # projected to the period's end: used_co2_g + the rest's

    @property
    def total_cost(self) -> Decimal:
        return self.energy_cost + self.fixed


def day_type(day: date) -> str:
    return WEEKEND if day.weekday() >= 5 else WEEKDAY


def _other(kind: str) -> str:
    return WEEKDAY if kind == WEEKEND else WEEKEND


def household_hours(start: datetime, end: datetime) -> dict[datetime, float]:
    """{UTC hour: kWh of all devices} for hours in [start, end), summed in SQL."""
    rows = (
        device_selectors.hourly_in(start=start, end=end)
        .values("hour")
        .annotate(kwh=Sum("energy_kwh"))
        .order_by()
        .values_list("hour", "kwh")
    )
    return {hour.astimezone(UTC): max(kwh or 0.0, 0.0) for hour, kwh in rows}


def pattern_of(hours: dict[datetime, float], zone: ZoneInfo) -> Pattern:
    """The mean kWh per day type and local hour, and the day types' low/high ratios."""
    by_slot: dict[tuple[str, int], list[float]] = defaultdict(list)
    by_day: dict[date, list[float]] = defaultdict(list)
    for hour, kwh in hours.items():
        local = hour.astimezone(zone)
        by_slot[day_type(local.date()), local.hour].append(kwh)
        by_day[local.date()].append(kwh)
    hourly = {WEEKDAY: {}, WEEKEND: {}}
    for (kind, hour), values in by_slot.items():
        hourly[kind][hour] = sum(values) / len(values)
    days = {kind: sum(1 for d in by_day if day_type(d) == kind) for kind in (WEEKDAY, WEEKEND)}
    whole = {d: sum(v) for d, v in by_day.items() if len(v) >= WHOLE_DAY_HOURS}
    overall = _ratios(list(whole.values()))
    ratios = {}
    for kind in (WEEKDAY, WEEKEND):
        totals = [kwh for d, kwh in whole.items() if day_type(d) == kind]
        ratios[kind] = _ratios(totals) if len(totals) >= 4 else overall
    return Pattern(hourly=hourly, days=days, ratios=ratios)


def _ratios(totals: list[float]) -> tuple[float, float]:
    mean = sum(totals) / len(totals) if totals else 0.0
    if len(totals) < 2 or mean <= 0:
        return 1.0, 1.0
    low, _, high = statistics.quantiles(totals, n=4, method="inclusive")
    return low / mean, high / mean


def project(
    at: datetime, *, history_days: int = DEFAULT_HISTORY_DAYS, device_ids: list[int] | None = None
) -> Projection:
    """Project the billing period `at` falls in from what was known at `at`."""
    at = at.astimezone(UTC)
    period = billing_selectors.billing_period(at)
    zone = ZoneInfo(period.timezone)
    now_hour = _ceil_hour(at)
    today = at.astimezone(zone).date()
    history_start = _midnight(today - timedelta(days=history_days), zone)
    history_end = _midnight(today, zone)
    hours = household_hours(min(history_start, period.start), now_hour)
    used = {h: kwh for h, kwh in hours.items() if period.start <= h < now_hour}
    recent = {h: kwh for h, kwh in hours.items() if history_start <= h < history_end}
    pattern = pattern_of(recent, zone)
    used_kwh = sum(used.values())
    ids = device_ids if device_ids is not None else _device_ids()
    used_cost = billing_selectors.cost_between(ids, period.start, now_hour)
    used_co2 = billing_selectors.co2_between(ids, period.start, now_hour)
    rest = _rest(at, now_hour, period.end, zone, pattern)
    fixed_hours = ()
    if period.bills_demand:
        fixed_hours = [(h, h + HOUR, kwh) for h, kwh in used.items()] + [
            (a, b, kwh) for a, b, kwh, _ in rest
        ]
    fixed = billing_selectors.period_fixed_cost(period, fixed_hours)
    future = {kind: sum(kwh for _, _, kwh, k in rest if k == kind) for kind in (WEEKDAY, WEEKEND)}
    kinds = (WEEKDAY, WEEKEND)
    # Tiers under one plan: the time-of-use part scales with each day type's kWh and the
    # tier part is the ladder from the energy used so far (one engine run, not three).
    split = (
        None
        if period.linear
        else billing_selectors.rest_of_period_tiered(period, at, used_kwh, rest)
    )
    if split is None:
        cost = billing_selectors.rest_of_period_cost(period, at, used_kwh, rest)

    def scaled(side: int | None) -> tuple[float, Decimal]:
        """The rest with each day type's kWh scaled by its low (0) or high (1) ratio (None:
        as projected), its kWh and energy cost (with the energy used so far)."""
        ratio = {kind: 1.0 if side is None else pattern.ratios[kind][side] for kind in kinds}
        kwh = used_kwh + sum(future[kind] * ratio[kind] for kind in kinds)
        factor = {kind: Decimal(repr(ratio[kind])) for kind in kinds}
        if split is not None:
            extra = sum((split.band.get(kind, ZERO) * factor[kind] for kind in kinds), ZERO)
            extra += split.tier_cost(Decimal(repr(kwh - used_kwh)))
        elif period.linear or side is None:  # each kWh's price does not depend on the total
            extra = sum((cost.get(kind, ZERO) * factor[kind] for kind in kinds), ZERO)
        else:  # tiers over more than one plan or ladder: price the scaled rest again
            rest_scaled = [(a, b, kwh * ratio[kind], kind) for a, b, kwh, kind in rest]
            priced = billing_selectors.rest_of_period_cost(period, at, used_kwh, rest_scaled)
            extra = sum(priced.values(), ZERO)
        return kwh, used_cost + extra

    kwh, energy_cost = scaled(None)
    (low_kwh, low_cost), (high_kwh, high_cost) = scaled(0), scaled(1)
    low_cost, high_cost = low_cost + fixed, high_cost + fixed
    return Projection(
        period=period, at=at, used_kwh=used_kwh, used_cost=used_cost, kwh=kwh,
        energy_cost=energy_cost, fixed=fixed, low_kwh=low_kwh, low_cost=low_cost,
        high_kwh=high_kwh, high_cost=high_cost, pattern=pattern,
        history_days=history_days, used_co2_g=used_co2,
        co2_g=used_co2 + billing_selectors.co2_of_hours((a, kwh) for a, _, kwh, _ in rest),
    )  # fmt: skip


def _rest(
    at: datetime, now_hour: datetime, end: datetime, zone: ZoneInfo, pattern: Pattern
) -> list[tuple[datetime, datetime, float, str]]:
    """(start, end, kWh, day type) of every hour left in the period, the current one's rest."""
    rest = []
    if at < now_hour:
        local = (now_hour - HOUR).astimezone(zone)
        kind = day_type(local.date())
        share = (now_hour - at) / HOUR
        rest.append((at, min(now_hour, end), pattern.kwh(kind, local.hour) * share, kind))
    hour = now_hour
    while hour < end:
        local = hour.astimezone(zone)
        kind = day_type(local.date())
        rest.append((hour, hour + HOUR, pattern.kwh(kind, local.hour), kind))
        hour += HOUR
    return rest


def _device_ids() -> list[int]:
    return list(device_selectors.device_list().values_list("id", flat=True))


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + HOUR
