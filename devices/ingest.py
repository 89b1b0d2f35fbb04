"""Pure energy maths of one poll: interval kWh from the cumulative counter, split by hour.

No database here: `contributions()` turns a device's previous state and a new sample into
what each UTC hour (and local day) gains; devices/rollups.py writes it.

Rules (docs/devices.md "Polling"):
- The kWh of an interval is the difference of the device's cumulative counter, so a stopped
  worker loses nothing. Devices without one (KLAP/AES firmware) count this month's kWh,
  which resets at the start of a month: its difference, and after a reset the new month's
  count (or power x duration when larger). A counter that went backwards (reset) or no
  counter at all falls back to power x duration, for at most `cap_seconds` of the interval.
- Whole local days inside the interval for which the device reported its own daily
  statistics (backfill) get exactly those kWh, spread evenly over their hours; the rest of
  the counter's difference is spread over the remaining time in proportion to duration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)


@dataclass
class Bucket:
    """What one device gains in one hour or day."""

    energy_kwh: float = 0.0
    power_sum_w: float = 0.0
    samples: int = 0
    max_power_w: float = 0.0
    on_seconds: float = 0.0
    backfilled: bool = False

    def add(self, other: Bucket) -> None:
        self.energy_kwh += other.energy_kwh
        self.power_sum_w += other.power_sum_w
        self.samples += other.samples
        self.max_power_w = max(self.max_power_w, other.max_power_w)
        self.on_seconds += other.on_seconds
        self.backfilled = self.backfilled or other.backfilled


@dataclass(frozen=True)
class Previous:
    """The device's state at its last successful poll (None when never polled)."""

    at: datetime | None = None
    energy_total_kwh: float | None = None
    power_w: float | None = None
    month_kwh: float | None = None  # the device's this-month counter at that reading


@dataclass(frozen=True)
class Sample:
    at: datetime
    is_on: bool | None
    power_w: float | None
    energy_total_kwh: float | None
    history: dict[date, float] = field(default_factory=dict)  # the device's own kWh per day
    month_kwh: float | None = None


@dataclass
class Result:
    energy_delta_kwh: float
    hours: dict[datetime, Bucket]
    days: dict[date, Bucket]


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def split_by_hour(start: datetime, end: datetime) -> list[tuple[datetime, float]]:
    """Return (UTC hour, seconds of [start, end) inside it) pairs."""
    pieces = []
    cursor, end = start.astimezone(UTC), end.astimezone(UTC)
    while cursor < end:
        hour = hour_floor(cursor)
        stop = min(end, hour + HOUR)
        pieces.append((hour, (stop - cursor).total_seconds()))
        cursor = stop
    return pieces


def whole_days_between(start: datetime, end: datetime, tz: ZoneInfo) -> list[date]:
    """Local days that lie entirely inside (start, end)."""
    first = start.astimezone(tz).date() + timedelta(days=1)
    last = end.astimezone(tz).date() - timedelta(days=1)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def day_span(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), start.timetz())


def interval_kwh(prev: Previous, sample: Sample, cap_seconds: float, tz: tzinfo = UTC) -> float:
    """Energy of the interval: the counter's difference, else power x (capped) duration."""
    seconds = (sample.at - prev.at).total_seconds()
    args = (prev.power_w, sample.power_w, cap_seconds)
    if sample.energy_total_kwh is None and None not in (prev.month_kwh, sample.month_kwh):
        if sample.month_kwh >= prev.month_kwh and not _new_month(prev.at, sample.at, tz):
            return sample.month_kwh - prev.month_kwh
        return max(sample.month_kwh, _kwh(seconds, None, None, *args))  # the month restarted
    return _kwh(seconds, prev.energy_total_kwh, sample.energy_total_kwh, *args)


def _new_month(then: datetime, now: datetime, tz: tzinfo) -> bool:
    """A month start lies between, in `tz` (settings.TIME_ZONE: the device's own is not
    known; a counter that went backwards catches a device whose month turned earlier)."""
    then, now = then.astimezone(tz), now.astimezone(tz)
    return (then.year, then.month) != (now.year, now.month)


def _kwh(seconds, then_total, now_total, then_power, now_power, cap_seconds) -> float:
    if now_total is not None and then_total is not None and now_total >= then_total:
        return now_total - then_total
    powers = [p for p in (then_power, now_power) if p is not None]
    if not powers:
        return 0.0
    return sum(powers) / len(powers) * min(seconds, cap_seconds) / 3_600_000


def contributions(prev: Previous, sample: Sample, *, tz: ZoneInfo, cap_seconds: float) -> Result:
    """Return the interval's kWh and what each hour and local day gains from this sample."""
    hour = hour_floor(sample.at.astimezone(UTC))
    if _within_hour(prev, sample, hour):
        return _same_hour(prev, sample, hour, tz, cap_seconds)  # the common case, made cheap
    hours: dict[datetime, Bucket] = defaultdict(Bucket)
    own = hours[hour]
    if sample.power_w is not None:
        own.power_sum_w, own.samples, own.max_power_w = sample.power_w, 1, sample.power_w
    delta = 0.0
    if prev.at is not None and sample.at > prev.at:
        delta = _energy(prev, sample, tz, cap_seconds, hours)
        if sample.is_on:
            on_from = max(prev.at, sample.at - timedelta(seconds=cap_seconds))
            for hour, seconds in split_by_hour(on_from, sample.at):
                hours[hour].on_seconds += seconds
    return Result(delta, dict(hours), _by_day(hours, tz))


def fold(
    rows: Iterable[tuple],
    prev: Previous,
    *,
    tz: ZoneInfo,
    cap_seconds: float,
    hours: dict[datetime, Bucket],
    days: dict[date, Bucket],
) -> Previous:
    """Add each row's contributions() to `hours` and `days`; return the last row as the next
    Previous. Rows are (at, is_on, power_w, energy_total_kwh) in time order, with no device
    history. For bulk work (imports, rollup rebuilds), so the common case — a row in the same
    hour as the one before — adds straight into that hour's buckets without building objects.
    """
    then, then_total, then_power = prev.at, prev.energy_total_kwh, prev.power_w
    hour = end = hour_bucket = day_bucket = None
    for at, is_on, power, total in rows:
        if hour is None or not hour <= at < end:
            hour = hour_floor(at.astimezone(UTC))
            end, hour_bucket = hour + HOUR, None
        if then is not None and hour <= then < at:
            if hour_bucket is None:
                hour_bucket = _bucket(hours, hour)
                day_bucket = _bucket(days, hour.astimezone(tz).date())
            seconds = (at - then).total_seconds()
            energy = max(0.0, _kwh(seconds, then_total, total, then_power, power, cap_seconds))
            on = min(seconds, cap_seconds) if is_on else 0.0
            for bucket in (hour_bucket, day_bucket):
                bucket.energy_kwh += energy
                bucket.on_seconds += on
                if power is not None:
                    bucket.power_sum_w += power
                    bucket.samples += 1
                    bucket.max_power_w = max(bucket.max_power_w, power)
        else:
            previous = Previous(then, then_total, then_power)
            gained = contributions(
                previous, Sample(at, is_on, power, total), tz=tz, cap_seconds=cap_seconds
            )
            for key, bucket in gained.hours.items():
                _bucket(hours, key).add(bucket)
            for key, bucket in gained.days.items():
                _bucket(days, key).add(bucket)
        then, then_total, then_power = at, total, power
    return Previous(then, then_total, then_power)


def _bucket(buckets: dict, key) -> Bucket:
    bucket = buckets.get(key)
    if bucket is None:
        bucket = buckets[key] = Bucket()
    return bucket


def _within_hour(prev: Previous, sample: Sample, hour: datetime) -> bool:
    """True when the previous sample lies earlier in the sample's UTC hour, no history."""
    return prev.at is not None and hour <= prev.at < sample.at and not sample.history


def _same_hour(
    prev: Previous, sample: Sample, hour: datetime, tz: ZoneInfo, cap_seconds: float
) -> Result:
    """contributions() when the whole interval is inside one UTC hour (so inside one day):
    one bucket, no splitting. One-minute readings take this path 59 times in 60."""
    bucket = Bucket(energy_kwh=max(0.0, interval_kwh(prev, sample, cap_seconds, tz)))
    if sample.power_w is not None:
        bucket.power_sum_w, bucket.samples, bucket.max_power_w = sample.power_w, 1, sample.power_w
    if sample.is_on:
        bucket.on_seconds = min((sample.at - prev.at).total_seconds(), cap_seconds)
    day = Bucket()
    day.add(bucket)
    return Result(bucket.energy_kwh, {hour: bucket}, {hour.astimezone(tz).date(): day})


def _energy(
    prev: Previous,
    sample: Sample,
    tz: ZoneInfo,
    cap_seconds: float,
    hours: dict[datetime, Bucket],
) -> float:
    reported = {
        day: sample.history[day]
        for day in whole_days_between(prev.at, sample.at, tz)
        if day in sample.history
    }
    covered = [day_span(day, tz) for day in reported]
    for (start, end), kwh in zip(covered, reported.values(), strict=True):
        _spread(start, end, kwh, hours, backfilled=True)
    counted = interval_kwh(prev, sample, cap_seconds, tz)
    if sample.energy_total_kwh is None and _new_month(prev.at, sample.at, tz):
        # counted is this month's count only: the reported days it covers are this month's
        this_month = sample.at.astimezone(tz).month
        reported_in = sum(kwh for day, kwh in reported.items() if day.month == this_month)
        rest = max(0.0, counted - reported_in)
    else:
        rest = max(0.0, counted - sum(reported.values()))
    uncovered = _subtract(prev.at, sample.at, covered)
    total = sum((end - start).total_seconds() for start, end in uncovered)
    for start, end in uncovered:
        _spread(start, end, rest * (end - start).total_seconds() / total, hours)
    return sum(reported.values()) + (rest if total else 0.0)


def _spread(
    start: datetime, end: datetime, kwh: float, hours: dict[datetime, Bucket], **flags
) -> None:
    pieces = split_by_hour(start, end)
    seconds = sum(s for _, s in pieces)
    for hour, part in pieces:
        bucket = hours[hour]
        bucket.energy_kwh += kwh * part / seconds
        bucket.backfilled = bucket.backfilled or flags.get("backfilled", False)


def _subtract(
    start: datetime, end: datetime, covered: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """Return [start, end) minus the (sorted, inside) covered spans."""
    free, cursor = [], start
    for c_start, c_end in sorted(covered):
        if c_start > cursor:
            free.append((cursor, c_start))
        cursor = max(cursor, c_end)
    if cursor < end:
        free.append((cursor, end))
    return free


def _by_day(hours: dict[datetime, Bucket], tz: ZoneInfo) -> dict[date, Bucket]:
    days: dict[date, Bucket] = defaultdict(Bucket)
    for hour, bucket in hours.items():
        days[hour.astimezone(tz).date()].add(bucket)
    return dict(days)
