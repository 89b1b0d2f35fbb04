"""Date ranges (explicit or presets like last_month) and the buckets readings aggregate into."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from kasamonitor.ranges import parse_bound

from .errors import InvalidDateRange, InvalidExportRequest

AGGREGATIONS = ("raw", "hourly", "daily", "weekly", "monthly")
PRESETS = (
    "today",
    "yesterday",
    "last_24_hours",
    "last_7_days",
    "last_30_days",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_year",
    "last_year",
)
DEFAULT_RANGE = "last_30_days"  # when a request gives no date_range


def preset_of(value) -> str | None:
    """The preset a date_range value names (the default when it is missing), else None."""
    if value in (None, ""):
        return DEFAULT_RANGE
    return value if isinstance(value, str) else None


def zone(name: str | None) -> ZoneInfo:
    """Return the named time zone, or the server's; refuse unknown names with 400."""
    try:
        return ZoneInfo(name or timezone.get_default_timezone_name())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidExportRequest(f"Unknown time zone {name!r}.", "options.timezone") from exc


def resolve_range(value, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """Return (start, end) as aware datetimes from {"start","end"} or a preset name."""
    if preset_of(value) is not None:
        return _preset(preset_of(value), tz, now)
    if not isinstance(value, dict) or "start" not in value or "end" not in value:
        raise InvalidDateRange("date_range needs 'start' and 'end', or a preset name.")
    start = parse_bound(value["start"], field="date_range.start", zone=tz)
    end = parse_bound(value["end"], field="date_range.end", end=True, zone=tz)
    if start is None or end is None:
        raise InvalidDateRange("date_range needs 'start' and 'end', or a preset name.")
    if start.moment >= end.moment:
        raise InvalidDateRange()
    return start.moment.astimezone(tz), end.moment.astimezone(tz)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _preset(name: str, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """The "last N days" presets end with today, so they hold the readings just taken."""
    today = now.astimezone(tz).date()
    month_start = today.replace(day=1)
    last_month_start = (month_start - timedelta(days=1)).replace(day=1)
    monday = today - timedelta(days=today.weekday())
    days: dict[str, tuple[date, date]] = {
        "today": (today, today + timedelta(days=1)),
        "yesterday": (today - timedelta(days=1), today),
        "last_7_days": (today - timedelta(days=6), today + timedelta(days=1)),
        "last_30_days": (today - timedelta(days=29), today + timedelta(days=1)),
        "this_week": (monday, today + timedelta(days=1)),
        "last_week": (monday - timedelta(days=7), monday),
        "this_month": (month_start, today + timedelta(days=1)),
        "last_month": (last_month_start, month_start),
        "this_year": (today.replace(month=1, day=1), today + timedelta(days=1)),
        "last_year": (
            today.replace(year=today.year - 1, month=1, day=1),
            today.replace(month=1, day=1),
        ),
    }
    if name == "last_24_hours":
        return now - timedelta(hours=24), now
    if name not in days:
        raise InvalidDateRange(
            f"Unknown date_range preset {name!r}; use one of {', '.join(PRESETS)}."
        )
    first, after = days[name]
    return _midnight(first, tz), _midnight(after, tz)


def bucketer(aggregation: str, tz: ZoneInfo) -> Callable[[datetime], datetime]:
    """Return a function mapping a moment to the local start of its bucket."""
    if aggregation == "hourly":
        return lambda m: m.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    if aggregation == "daily":
        return lambda m: _midnight(m.astimezone(tz).date(), tz)
    if aggregation == "weekly":
        return lambda m: _midnight(_monday(m.astimezone(tz).date()), tz)
    if aggregation == "monthly":
        return lambda m: _midnight(m.astimezone(tz).date().replace(day=1), tz)
    raise InvalidExportRequest(
        f"Unknown aggregation {aggregation!r}; use {', '.join(AGGREGATIONS)}.", "aggregation"
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def bucket_count(aggregation: str, start: datetime, end: datetime) -> int:
    """Return how many buckets of this size a range spans (an upper estimate)."""
    hours = (end - start).total_seconds() / 3600
    size = {"hourly": 1, "daily": 24, "weekly": 168, "monthly": 24 * 28}[aggregation]
    return int(hours // size) + 2
