"""Pricing energy that has not been used yet: a steady power over a year (standby), and the
rest of a billing period (the bill projection). Both go through the cost engine, so they
price exactly as the stored costs do: time-of-use edges, seasons, tiers, tax on energy.

Pure functions over plan versions; billing.selectors reads the plans and calls them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from billing.decimals import ZERO, to_decimal
from billing.engine import Interval, fixed_charges, price
from billing.periods import PlanVersion

STEADY = "steady"
HOUSEHOLD = "household"


def steady_power_cost(
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
    future: Iterable[tuple[datetime, datetime, Decimal]],
    period_end: datetime,
) -> Decimal:
    """The energy cost (with its tax) of the `future` intervals in [at, period_end).

    used_kwh, the household's energy in [period_start, at), goes first as one interval: it
    is not reported, but it moves the household up the tiers, so the future energy is
    priced in the tier the period's total reaches.
    """
    intervals = []
    if used_kwh > 0 and period_start < at:
        intervals.append(Interval(HOUSEHOLD, period_start, at, used_kwh))
    intervals += [Interval(HOUSEHOLD, a, b, kwh) for a, b, kwh in future if kwh > 0 and a < b]
    if at >= period_end:
        return ZERO
    return price(intervals, list(versions), at, period_end).energy_cost


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
