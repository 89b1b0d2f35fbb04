"""Charges billed once per billing period: service charge, demand charge, fees, and their tax."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any, Protocol

from billing.decimals import ZERO, split
from billing.engine.results import PeriodCharges
from billing.periods import Versions, micros

QUARTER = timedelta(minutes=15)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Energy(Protocol):
    start: datetime
    end: datetime
    kwh: Decimal


def period_charges(
    start: datetime, end: datetime, used: Iterable[Energy], versions: Versions
) -> PeriodCharges:
    """Return the once-per-period charges of [start, end), whatever part of it was queried.

    When the plan changes inside the period, each version's charges count in proportion
    to the time it was in force, so an unchanged charge is still billed exactly once.
    """
    shares = versions.shares(start, end)
    measured = any(versions.plans[i]["demand_charge_per_kw"] for i, _ in shares)
    kw, at = peak_demand(used) if measured else (ZERO, None)
    parts = [_version_charges(versions.plans[i], share, kw) for i, share in shares]
    fees: dict[str, Decimal] = defaultdict(Decimal)
    for part in parts:
        for name, amount in part["fees"].items():
            fees[name] += amount
    return PeriodCharges(
        start=start,
        end=end,
        service=sum((p["service"] for p in parts), ZERO),
        demand=sum((p["demand"] for p in parts), ZERO),
        demand_kw=kw,
        demand_at=at,
        fees=dict(fees),
        tax=sum((p["tax"] for p in parts), ZERO),
    )


def peak_demand(used: Iterable[Energy]) -> tuple[Decimal, datetime | None]:
    """The household's highest 15-minute average power in kW, and when that quarter began.

    Quarters are clock-aligned (:00, :15, :30, :45). Energy of an interval is spread over
    the quarters it overlaps in proportion to time: shorter intervals (30 s polls) add up
    exactly; longer ones (hourly rollups) give their average power, so a peak shorter
    than the interval is flattened.
    """
    by_span: dict[tuple[datetime, datetime], Decimal] = defaultdict(Decimal)
    for piece in used:  # devices share timestamps: spread each span once
        by_span[piece.start, piece.end] += piece.kwh
    by_quarter: dict[datetime, Decimal] = defaultdict(Decimal)
    for (start, end), kwh in by_span.items():
        for quarter, part in _quarters(start, end, kwh):
            by_quarter[quarter] += part
    if not by_quarter:
        return ZERO, None
    peak = max(by_quarter.values())
    return peak * 4, min(q for q, kwh in by_quarter.items() if kwh == peak)


def _quarters(start: datetime, end: datetime, kwh: Decimal) -> Iterator[tuple[datetime, Decimal]]:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first = _quarter_start(start)
    marks = [first + QUARTER * n for n in range(1, (end - first) // QUARTER + 1)]
    edges = [start, *(m for m in marks if m < end), end]
    parts = split(kwh, [micros(a, b) for a, b in pairwise(edges)])
    for (a, _), part in zip(pairwise(edges), parts, strict=True):
        yield _quarter_start(a), part


def _quarter_start(moment: datetime) -> datetime:
    return moment - (moment - _EPOCH) % QUARTER


def _version_charges(plan: Mapping[str, Any], share: Decimal, kw: Decimal) -> dict:
    """One plan version's part of a period's charges, for its share of the period."""
    parts = {
        "service": plan["monthly_service_charge"] * share,
        "demand": kw * plan["demand_charge_per_kw"] * share,
        "fees": {name: amount * share for name, amount in plan["additional_fees"].items()},
    }
    taxed = {
        "service": parts["service"],
        "demand": parts["demand"],
        "fees": sum(parts["fees"].values(), ZERO),
    }
    base = sum(
        (amount for name, amount in taxed.items() if name in plan["tax"]["applies_to"]), ZERO
    )
    return {**parts, "tax": base * plan["tax"]["rate"] / 100}
