"""The cost engine: prices energy per interval with the household's plan, exactly.

Pure functions over Interval records and normalised plans (billing.plans.normalise_plan);
nothing here touches the database. Formulas are described in docs/billing.md.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from itertools import groupby, pairwise
from typing import Any
from zoneinfo import ZoneInfo

from billing.decimals import PRECISION, ZERO, percentages, present, present_parts, split
from billing.engine.charges import peak_demand, period_charges
from billing.engine.results import (
    CostResult,
    DayCost,
    DeviceCost,
    Interval,
    IntervalCost,
    PeriodCharges,
)
from billing.engine.tou import PriceChanges, band_rate, prices_for_month
from billing.periods import (
    MICROSECOND,
    PlanVersion,
    Versions,
    billing_periods,
    micros,
    require_aware,
    version_periods,
)
from billing.periods import data_window as _data_window

__all__ = [
    "CostResult",
    "DayCost",
    "DeviceCost",
    "Interval",
    "IntervalCost",
    "PeriodCharges",
    "billing_periods",
    "compare",
    "data_window",
    "fixed_charges",
    "local_range",
    "peak_demand",
    "percentages",
    "present",
    "present_parts",
    "price",
]


@dataclass(slots=True)
class _Slice:
    """A piece of one interval inside which nothing about the price changes."""

    item: int
    device_id: Hashable
    start: datetime
    end: datetime
    kwh: Decimal
    version: int
    energy: Decimal = ZERO
    tax: Decimal = ZERO


def price(
    intervals: Iterable[Interval],
    plans: Sequence[PlanVersion],
    start: datetime,
    end: datetime,
) -> CostResult:
    """Price the energy of intervals over [start, end) with the plan in force at each moment.

    plans is [(effective_from, normalised plan)]. Pass the intervals of whole billing
    periods (see data_window): tiers count from the start of each period, and the demand
    charge looks at all of it. Only what lies in [start, end) is reported.
    """
    if require_aware(end) <= require_aware(start):
        raise ValueError("the range must end after it starts")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    with localcontext(prec=PRECISION):  # sums and products stay exact
        versions = Versions(plans)
        items = list(intervals)
        slices = _slices(items, versions, start, end)
        periods = version_periods(
            min([start, *(s.start for s in slices)]), max([end, *(s.end for s in slices)]), versions
        )
        in_period = _by_period(slices, periods)
        for used in in_period:
            _price_energy(used, versions)
        charged = [
            period_charges(versions.local(low), versions.local(high), used, versions)
            for (low, high), used in zip(periods, in_period, strict=True)
            if start <= low < end
        ]
        return _result(items, slices, charged, versions, start, end)


def compare(
    intervals: Iterable[Interval],
    plans: Mapping[str, Mapping[str, Any]],
    start: datetime,
    end: datetime,
) -> dict[str, CostResult]:
    """Price the same consumption under each named plan, as if it had always been in force."""
    items = list(intervals)
    return {name: price(items, [(start, plan)], start, end) for name, plan in plans.items()}


def fixed_charges(
    used: Iterable[Interval], plans: Sequence[PlanVersion], start: datetime, end: datetime
) -> list[PeriodCharges]:
    """The once-per-period charges of the billing periods that start in [start, end).

    For costs read from storage: price() gives the same charges. used is the household's
    energy over those whole periods (see data_window); only a demand charge looks at it.
    """
    start, end = require_aware(start).astimezone(UTC), require_aware(end).astimezone(UTC)
    with localcontext(prec=PRECISION):
        versions = Versions(plans)
        items = sorted(used, key=lambda u: u.start)
        charged = []
        for low, high in version_periods(start, end, versions):
            if start <= low < end:
                inside = [u for u in items if low <= u.start < high]
                charged.append(
                    period_charges(versions.local(low), versions.local(high), inside, versions)
                )
        return charged


def data_window(
    plans: Sequence[PlanVersion], start: datetime, end: datetime
) -> tuple[datetime, datetime]:
    """The span of intervals price() needs for [start, end): its whole billing periods."""
    return _data_window(start, end, Versions(plans))


def local_range(
    plan: Mapping[str, Any], first_day: date, last_day: date
) -> tuple[datetime, datetime]:
    """[start, end) from local midnight of first_day to the midnight after last_day.

    For GET /api/costs?start_date=...&end_date=... (both days included), in the plan's zone.
    """
    zone = ZoneInfo(plan["timezone"])
    after = last_day + timedelta(days=1)
    return (
        datetime(first_day.year, first_day.month, first_day.day, tzinfo=zone),
        datetime(after.year, after.month, after.day, tzinfo=zone),
    )


def _slices(
    items: list[Interval], versions: Versions, start: datetime, end: datetime
) -> list[_Slice]:
    """Cut each interval where a price may change (and at the range edges).

    Energy is shared between the pieces in proportion to time, as if power were steady.
    """
    changes = PriceChanges(versions)
    spans: dict[tuple[datetime, datetime], list[tuple[datetime, datetime]]] = {}
    slices = []
    for n, item in enumerate(items):
        low, high = item.start.astimezone(UTC), item.end.astimezone(UTC)
        if (low, high) not in spans:  # devices share timestamps: cut each span once
            cuts = set(changes.between(low, high)) | {t for t in (start, end) if low < t < high}
            spans[low, high] = list(pairwise([low, *sorted(cuts), high]))
        pieces = spans[low, high]
        kwhs = split(item.kwh, [micros(a, b) for a, b in pieces])
        for (a, b), kwh in zip(pieces, kwhs, strict=True):
            slices.append(_Slice(n, item.device_id, a, b, kwh, versions.index_at(a)))
    return slices


def _by_period(
    slices: list[_Slice], periods: list[tuple[datetime, datetime]]
) -> list[list[_Slice]]:
    """Slices of each period, in time order (periods cover all slices)."""
    in_period: list[list[_Slice]] = [[] for _ in periods]
    current = 0
    for piece in sorted(slices, key=lambda s: s.start):
        while piece.start >= periods[current][1]:
            current += 1
        in_period[current].append(piece)
    return in_period


def _price_energy(used: list[_Slice], versions: Versions) -> None:
    """Price one billing period's slices in consumption order, tiers on the household total.

    Slices that start at the same moment are used together: each gets a share of every
    tier reached in proportion to its energy.
    """
    position = ZERO
    for _, group in groupby(used, key=lambda s: s.start):
        position = _price_together(list(group), position, versions)


def _price_together(group: list[_Slice], position: Decimal, versions: Versions) -> Decimal:
    """Price slices used at the same moment from position; return the new position."""
    plan = versions.plans[group[0].version]
    local = group[0].start.astimezone(versions.zones[group[0].version])
    prices = prices_for_month(plan, local.month)
    band = band_rate(prices, local)
    used = sum((s.kwh for s in group), ZERO)
    for kwh, tier_rate in _ladder(prices["tier_rates"], position, used):
        for piece, share in zip(group, split(kwh, [s.kwh for s in group]), strict=True):
            piece.energy += share * (tier_rate + band)
    taxed = plan["tax"]["rate"] if "energy" in plan["tax"]["applies_to"] else ZERO
    for piece in group:
        piece.tax = piece.energy * taxed / 100
    return position + used


def _ladder(tiers: list[dict], position: Decimal, used: Decimal) -> list[tuple[Decimal, Decimal]]:
    """Split kWh used from position onwards into (kWh, tier rate) pieces, tier by tier."""
    if not tiers:
        return [(used, ZERO)]
    pieces = []
    for tier in tiers:
        top = tier["max_kwh"]
        if used <= 0:
            break
        if top is not None and position >= top:
            continue
        take = used if top is None else min(used, top - position)
        pieces.append((take, tier["rate"]))
        position, used = position + take, used - take
    return pieces


def _result(
    items: list[Interval],
    slices: list[_Slice],
    charged: list[PeriodCharges],
    versions: Versions,
    start: datetime,
    end: datetime,
) -> CostResult:
    inside = [s for s in slices if start <= s.start < end]
    return CostResult(
        start=start,
        end=end,
        currency=_currency(versions, start, end),
        intervals=_interval_costs(items, inside),
        devices=_device_costs(inside),
        days=_day_costs(inside, charged, versions, start, end),
        periods=charged,
    )


def _interval_costs(items: list[Interval], inside: list[_Slice]) -> list[IntervalCost]:
    costs: dict[int, IntervalCost] = {}
    for piece in sorted(inside, key=lambda s: s.item):
        row = costs.setdefault(
            piece.item, IntervalCost(items[piece.item].device_id, piece.start, piece.end)
        )
        row.start, row.end = min(row.start, piece.start), max(row.end, piece.end)
        _add(row, piece)
    return list(costs.values())


def _device_costs(inside: list[_Slice]) -> list[DeviceCost]:
    devices: dict[Hashable, DeviceCost] = {}
    for piece in inside:
        _add(devices.setdefault(piece.device_id, DeviceCost(piece.device_id)), piece)
    return list(devices.values())


def _day_costs(
    inside: list[_Slice],
    charged: list[PeriodCharges],
    versions: Versions,
    start: datetime,
    end: datetime,
) -> list[DayCost]:
    """Every local day of the range; fixed charges land on the day their period starts."""
    first, last = _local_date(versions, start), _local_date(versions, end - MICROSECOND)
    days = {day: DayCost(day) for day in _dates(first, last)}
    for piece in inside:
        day = _local_date(versions, piece.start)
        _add(days.setdefault(day, DayCost(day)), piece)
    for period in charged:
        day = _local_date(versions, period.start)
        days.setdefault(day, DayCost(day)).fixed += period.total
    return sorted(days.values(), key=lambda d: d.date)


def _add(row: IntervalCost | DeviceCost | DayCost, piece: _Slice) -> None:
    row.kwh += piece.kwh
    row.energy += piece.energy
    row.tax += piece.tax


def _dates(first: date, last: date) -> list[date]:
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


def _local_date(versions: Versions, moment: datetime) -> date:
    return versions.local(moment).date()


def _currency(versions: Versions, start: datetime, end: datetime) -> str:
    currencies = {versions.plans[i]["currency"] for _, _, i in versions.spans(start, end)}
    if len(currencies) > 1:
        raise ValueError(f"plans in this range bill in different currencies: {sorted(currencies)}")
    return currencies.pop()
