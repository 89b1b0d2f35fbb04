"""Plan versions over time, and the billing periods their cycle days mark out."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from billing.decimals import split

PlanVersion = tuple[datetime, Mapping[str, Any]]
MICROSECOND = timedelta(microseconds=1)
_REACH = timedelta(days=40)  # every plan has a cycle start within any 40 days


class Versions:
    """Plan versions in effective order. The first also covers any time before it took effect."""

    def __init__(self, versions: Sequence[PlanVersion]) -> None:
        ordered = sorted(versions, key=lambda version: require_aware(version[0]).astimezone(UTC))
        if not ordered:
            raise ValueError("at least one plan is needed")
        self.starts = [start.astimezone(UTC) for start, _ in ordered]
        if len(set(self.starts)) < len(self.starts):
            raise ValueError("two plan versions take effect at the same moment")
        self.plans = [plan for _, plan in ordered]
        self.zones = [ZoneInfo(plan["timezone"]) for plan in self.plans]

    def local(self, moment: datetime) -> datetime:
        """moment on the wall clock of the version in force."""
        return moment.astimezone(self.zones[self.index_at(moment)])

    def index_at(self, moment: datetime) -> int:
        """Index of the version in force at moment."""
        return max(bisect_right(self.starts, moment) - 1, 0)

    def spans(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime, int]]:
        """The parts of [start, end), each with the index of the version in force."""
        first = self.index_at(start)
        spans = []
        for i in range(first, len(self.plans)):
            low = start if i == first else self.starts[i]
            high = self.starts[i + 1] if i + 1 < len(self.plans) else end
            if low >= end:
                break
            spans.append((low, min(high, end), i))
        return spans

    def shares(self, start: datetime, end: datetime) -> list[tuple[int, Decimal]]:
        """Each version's share of the time in [start, end); the shares add up to exactly 1."""
        spans = self.spans(start, end)
        weights = [micros(low, high) for low, high, _ in spans]
        return [
            (i, share) for (_, _, i), share in zip(spans, split(Decimal(1), weights), strict=True)
        ]


def billing_periods(
    start: datetime, end: datetime, plan: Mapping[str, Any]
) -> list[tuple[datetime, datetime]]:
    """Return the billing periods of plan overlapping [start, end), in the plan's time zone."""
    zone = ZoneInfo(plan["timezone"])
    periods = version_periods(start, end, Versions([(start, plan)]))
    return [(low.astimezone(zone), high.astimezone(zone)) for low, high in periods]


def version_periods(
    start: datetime, end: datetime, versions: Versions
) -> list[tuple[datetime, datetime]]:
    """Return the billing periods overlapping [start, end) while plans change over time.

    A period begins at local midnight on the cycle start day of whichever plan is in
    force at that moment, so a new plan with another cycle day moves the next boundary.
    Times are in UTC.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start >= end:
        return []
    edges = [_edge_at_or_before(versions, start)]
    while edges[-1] < end:
        edges.append(_edge_after(versions, edges[-1]))
    return list(zip(edges, edges[1:], strict=False))


def data_window(start: datetime, end: datetime, versions: Versions) -> tuple[datetime, datetime]:
    """The span of energy data needed to price [start, end): its whole billing periods."""
    periods = version_periods(start, end, versions)
    return (periods[0][0], periods[-1][1]) if periods else (start, end)


def micros(start: datetime, end: datetime) -> int:
    """Microseconds elapsed from start to end (in UTC: same-zone subtraction counts wall time)."""
    return (end.astimezone(UTC) - start.astimezone(UTC)) // MICROSECOND


def require_aware(moment: datetime) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"a time zone aware datetime is needed, not {moment!r}")
    return moment


def _edge_at_or_before(versions: Versions, moment: datetime) -> datetime:
    reach = _REACH
    while not (found := _edges(versions, moment - reach, moment + MICROSECOND)):
        reach *= 2
    return found[-1]


def _edge_after(versions: Versions, moment: datetime) -> datetime:
    reach = _REACH
    while not (found := _edges(versions, moment + MICROSECOND, moment + reach)):
        reach *= 2
    return found[0]


def _edges(versions: Versions, start: datetime, end: datetime) -> list[datetime]:
    """Cycle starts in [start, end), each taken from the version in force at that moment."""
    found = []
    for low, high, i in versions.spans(start, end):
        starts = _cycle_starts(versions.plans[i], versions.zones[i], low, high)
        found += [edge.astimezone(UTC) for edge in starts if low <= edge < high]
    return found


def _cycle_starts(
    plan: Mapping[str, Any], zone: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    """Local midnights of the cycle day, from the month before start to the month of end."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
    starts = []
    while (year, month) <= (last.year, last.month):
        starts.append(datetime(year, month, plan["billing_cycle_start_day"], tzinfo=zone))
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return starts
