"""Pricing energy that has not been used yet: a steady power over a year (standby), and the
rest of a billing period (the bill projection). Both go through the cost engine, so they
price exactly as the stored costs do: time-of-use edges, seasons, tiers, tax on energy.

Pure functions over plan versions; billing.selectors reads the plans and calls them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from itertools import pairwise

from billing.decimals import PRECISION, ZERO, to_decimal
from billing.engine import Interval, _ladder, fixed_charges, price
from billing.engine.tou import PriceChanges, prices_for_month
from billing.periods import MICROSECOND, PlanVersion, Versions


def linear(plan: dict) -> bool:
    """Whether the plan's energy price is the same for every kWh of a period (no tiers)."""
    return all(len(p["tier_rates"]) <= 1 for p in (plan, *plan["seasonal_rates"]))


STEADY = "steady"
HOUSEHOLD = "household"
USED = ("used so far",)  # a key no caller's interval carries


def steady_power_cost(
    watts: Decimal, plan: dict, start: datetime, end: datetime
) -> tuple[Decimal, Decimal]:
    """steady_power_cost, remembered per process: a pure function of its arguments, and
    the dashboard asks for the same year with the same plan many times a day."""
    key = (json.dumps(plan, sort_keys=True, default=str), start, end, to_decimal(watts))
    if key not in _STEADY:
        if len(_STEADY) >= 64:
            _STEADY.clear()
        _STEADY[key] = _steady_cost(to_decimal(watts), plan, start, end)
    return _STEADY[key]


_STEADY: dict[tuple, tuple[Decimal, Decimal]] = {}


def _steady_cost(
    watts: Decimal, plan: dict, start: datetime, end: datetime
) -> tuple[Decimal, Decimal]:
    """The kWh and energy cost (with its tax; no fixed charges) of `watts` drawn without a
    break over [start, end) under `plan`, as if it had always been in force.

    One interval covering the whole span: the engine cuts it at every moment a price may
    change (time-of-use edges, local midnights, daylight-saving shifts, seasons) and shares
    its energy in proportion to time, which for a steady power is exactly its use in each
    piece, so every piece is priced at its own hour's price. Tiers count from the start of
    each billing period, as if this were the household's only use.
    """
    hours = Decimal((end - start).total_seconds()) / 3600
    kwh = to_decimal(watts) * hours / 1000
    if kwh <= 0:
        return ZERO, ZERO
    result = price([Interval(STEADY, start, end, kwh)], [(start, plan)], start, end)
    return kwh, result.energy_cost


def rest_of_period_cost(
    versions: Sequence[PlanVersion],
    period_start: datetime,
    at: datetime,
    used_kwh: Decimal,
    future: Iterable[tuple[datetime, datetime, Decimal, Hashable]],
    period_end: datetime,
) -> dict[Hashable, Decimal]:
    """The energy cost (with its tax) of the `future` intervals in [at, period_end), per
    the key each interval carries (their sum is the household's cost).

    used_kwh, the household's energy in [period_start, at), goes first as one interval: it
    is not reported, but it moves the household up the tiers, so the future energy is
    priced in the tier the period's total reaches.
    """
    intervals = []
    if used_kwh > 0 and period_start < at:
        intervals.append(Interval(USED, period_start, at, used_kwh))
    intervals += [Interval(key, a, b, kwh) for a, b, kwh, key in future if kwh > 0 and a < b]
    if at >= period_end:
        return {}
    result = price(intervals, list(versions), at, period_end)
    return {d.device_id: d.cost for d in result.devices if d.device_id != USED}


@dataclass(frozen=True)
class TieredRest:
    """The rest of a billing period under one tiered plan, priced in two parts that add up
    to what rest_of_period_cost() gives: the energy price is the hour's time-of-use rate
    plus the tier's rate (billing.engine: tier_rate + band, taxed alike), and with one
    ladder for the whole rest the tier part depends only on how many kWh the rest adds
    after the energy used so far, not on when they are used.

    `band` is the time-of-use part of each key's intervals (with tax): linear, so a key's
    kWh scaled by r cost r times as much. tier_cost(kwh) is the tier part of kwh more.
    """

    band: dict[Hashable, Decimal]
    tiers: tuple
    position: Decimal
    tax_factor: Decimal

    def tier_cost(self, kwh: Decimal) -> Decimal:
        with localcontext(prec=PRECISION):
            steps = _ladder(list(self.tiers), self.position, max(to_decimal(kwh), ZERO))
            return sum((take * rate for take, rate in steps), ZERO) * self.tax_factor


def rest_of_period_tiered(
    versions: Sequence[PlanVersion],
    period_start: datetime,
    at: datetime,
    used_kwh: Decimal,
    future: Iterable[tuple[datetime, datetime, Decimal, Hashable]],
    period_end: datetime,
) -> TieredRest | None:
    """The rest of the period split into its time-of-use and tier parts (TieredRest), when
    one plan version covers the whole period and one tier ladder every month of the rest;
    else None (then price the rest with rest_of_period_cost()). One engine run prices the
    time-of-use part (the tiers set to one ladder step at 0); the tiers are then arithmetic,
    so a projection's low and high ends need no engine run of their own."""
    plans = Versions(list(versions))
    index = plans.index_at(period_start)
    if at >= period_end or plans.index_at(period_end - MICROSECOND) != index:
        return None
    plan, zone = plans.plans[index], plans.zones[index]
    months, day = set(), at.astimezone(zone).replace(day=1, hour=12)
    while day < period_end:  # every local month the rest touches (a day past its 1st)
        months.add(day.month)
        day = (day + timedelta(days=32)).replace(day=1)
    ladders = {json.dumps(prices_for_month(plan, m)["tier_rates"], default=str) for m in months}
    tiers = prices_for_month(plan, next(iter(months)))["tier_rates"] if months else []
    if len(ladders) != 1 or not tiers:
        return None
    zero_step = [{"max_kwh": None, "rate": ZERO}]
    flat = {**plan, "tier_rates": zero_step if plan["tier_rates"] else plan["tier_rates"]}
    flat["seasonal_rates"] = [
        {**s, "tier_rates": zero_step if s["tier_rates"] else s["tier_rates"]}
        for s in plan["seasonal_rates"]
    ]
    band = rest_of_period_cost(
        [(plans.starts[index], flat)], period_start, at, ZERO, future, period_end
    )
    taxed = plan["tax"]["rate"] if "energy" in plan["tax"]["applies_to"] else ZERO
    return TieredRest(band, tuple(tiers), to_decimal(used_kwh), 1 + to_decimal(taxed) / 100)


def period_fixed_cost(
    versions: Sequence[PlanVersion],
    period_start: datetime,
    period_end: datetime,
    hours: Iterable[tuple[datetime, datetime, Decimal]] = (),
) -> Decimal:
    """The charges billed once for the period [period_start, period_end), with their tax.

    hours (the household's energy per hour) matter only to a demand charge.
    """
    used = [Interval(HOUSEHOLD, a, b, to_decimal(kwh)) for a, b, kwh in hours if a < b]
    charged = fixed_charges(used, list(versions), period_start, period_end)
    return sum((p.total for p in charged), ZERO)


RUN = "run"


def profile_cost(
    versions: Sequence[PlanVersion],
    start: datetime,
    step: timedelta,
    kwh: Sequence[float],
    changes: PriceChanges | None = None,
) -> Decimal:
    """The energy cost (with its tax) of kwh[i] used evenly over [start + i*step,
    start + (i+1)*step), with the plan in force at each moment, priced alone (tiers from
    the first; fixed charges left out): an appliance's run, or its typical run started
    at another hour.

    The steps are joined between the moments a price may change (PriceChanges; pass one
    to share its cache between calls), so the engine prices a few intervals instead of one
    per minute; a step a change falls inside stays on its own and the engine splits it in
    proportion to time, as it would anyway. The cost is that of pricing each step alone.
    """
    if not kwh:
        return ZERO
    end = start + step * len(kwh)
    changes = changes or PriceChanges(Versions(list(versions)))
    bounds = {0, len(kwh)}
    for moment in changes.between(start, end):
        n, inside = divmod(moment - start, step)
        bounds |= {n, n + 1} if inside else {n}
    intervals = []
    for a, b in pairwise(sorted(bounds)):
        total = to_decimal(math.fsum(kwh[a:b]))
        if total > 0:
            intervals.append(Interval(RUN, start + step * a, start + step * b, total))
    if not intervals:
        return ZERO
    result = price(intervals, list(versions), start, end)
    return sum((d.cost for d in result.devices), ZERO)
