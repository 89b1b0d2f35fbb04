"""What a cost report covers: whole local days, or the hours a date-time range touches.

Costs are stored per device per UTC hour (HourlyCost) and summed per local day
(DailyCost), so a range of dates reads the daily sums, and a range of date-times prices
exactly the hours it touches: its whole days from the daily sums, the hours around them
from the hourly costs. A local day is on the clock of the plan in force, as the pricing
pipeline sums it (billing/summaries.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from billing.periods import Versions
from kasamonitor.ranges import Bound, InvalidDateRange, check_order

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Span:
    start: datetime  # UTC; a local midnight, or the start of the first hour touched
    end: datetime  # excluded
    first_day: date
    last_day: date
    hourly: bool  # False: whole local days from start_date to end_date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def span_of(start: Bound, end: Bound, local: Versions) -> Span:
    """The span of two bounds: whole days when both are dates, else whole UTC hours."""
    check_order(start.moment, end.moment, field="start_date", end_field="end_date")
    if start.day is not None and end.day is not None:
        return Span(start.moment, end.moment, start.day, end.day, hourly=False)
    low, high = _floor_hour(start.moment), _ceil_hour(end.moment)
    first, last = local.local(low).date(), local.local(high - HOUR).date()
    return Span(low, high, first, last, hourly=True)


def check_days(span: Span, most: int) -> None:
    if span.days > most:
        raise InvalidDateRange(f"The range may span at most {most} days.", field="end_date")


def split(
    span: Span, local: Versions
) -> tuple[tuple[date, date] | None, list[tuple[datetime, datetime]]]:
    """The whole local days of the span (first, last) and the hours outside them."""
    if not span.hourly:
        return (span.first_day, span.last_day), []
    low = span.start
    while low < span.end and not _starts_a_day(low, local):
        low += HOUR
    high = span.end
    while high > low and not _starts_a_day(high, local):
        high -= HOUR
    if low >= high:
        return None, [(span.start, span.end)]
    whole = (local.local(low).date(), local.local(high - HOUR).date())
    return whole, [(a, b) for a, b in ((span.start, low), (high, span.end)) if a < b]


def _starts_a_day(hour: datetime, local: Versions) -> bool:
    return local.local(hour).date() != local.local(hour - HOUR).date()


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _ceil_hour(moment: datetime) -> datetime:
    floor = _floor_hour(moment)
    return floor if floor == moment else floor + HOUR
