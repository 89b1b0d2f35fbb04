"""Range parameters of the API (start/end, start_date/end_date, start_time/end_time, an
export's date_range): one reading of "a date or an ISO 8601 date-time" for every endpoint.

Every range is [start, end): a date starts at its local midnight and, as an end, takes in
the whole day (up to the next midnight); a date-time end is the instant, excluded. A
date-time without an offset is on the household's clock (settings.TIME_ZONE) unless the
endpoint has a clock of its own (an export's options.timezone, the tariff's for costs).
Bad input is 400 INVALID_DATE_RANGE naming the parameter, never a 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kasamonitor.errors import ApiError

# Far enough from year 1 and 9999 that moving a moment across zones, to the next day or to
# the end of its billing period never leaves what datetime can hold.
FIRST_YEAR, LAST_YEAR = 1900, 9998

# The OpenAPI schema of one bound (drf-spectacular raw schema).
SCHEMA = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
    "description": "A date (2025-06-01) or an ISO 8601 date-time (2025-06-01T00:00:00Z, "
    "2025-06-01T02:00:00+02:00, or without an offset: on the household's clock). See docs/api.md.",
}

# "+02:00" in a query string arrives as " 02:00" when the client did not encode the "+".
_SPACE_OFFSET = re.compile(r"(\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?) (\d\d(?::?\d\d)?)$")


class InvalidDateRange(ApiError):
    status_code = 400
    error_code = "INVALID_DATE_RANGE"
    message = "The date range is not valid."


@dataclass(frozen=True)
class Bound:
    """One end of a range: the aware moment, and the day when a bare date was given."""

    moment: datetime  # a date: its local midnight, or as an end the midnight after it
    day: date | None = None


def household_zone() -> ZoneInfo:
    """Return the household's time zone (settings.TIME_ZONE)."""
    return ZoneInfo(settings.TIME_ZONE)


def parse_bound(
    value: object, *, field: str, end: bool = False, zone: tzinfo | None = None
) -> Bound | None:
    """Read a date or an ISO 8601 date-time (None when missing or empty).

    `zone` is the clock of dates and of date-times without an offset (default: the
    household's). `end`: a date takes in the whole day.
    """
    if value is None or value == "":
        return None
    text = _SPACE_OFFSET.sub(r"\1+\2", value.strip()) if isinstance(value, str) else None
    day, moment = _parse(text)
    if day is None and moment is None:
        raise InvalidDateRange(
            f"{field} must be a date (2025-06-01) or an ISO 8601 date-time "
            f"(2025-06-01T00:00:00Z), not {str(value)[:40]!r}.",
            field=field,
        )
    zone = zone or household_zone()
    if (day or moment).year < FIRST_YEAR or (day or moment).year > LAST_YEAR:
        raise InvalidDateRange(
            f"{field} must lie between the years {FIRST_YEAR} and {LAST_YEAR}.", field=field
        )
    if day is not None:
        midnight = datetime.combine(day + timedelta(days=1) if end else day, time.min, zone)
        return Bound(midnight.astimezone(UTC), day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return Bound(moment.astimezone(UTC))


def _parse(text: str | None) -> tuple[date | None, datetime | None]:
    if not text:
        return None, None
    try:  # parse_date first: parse_datetime also reads "2025-06-01" as midnight
        day = parse_date(text)
        return (day, None) if day else (None, parse_datetime(text))
    except ValueError:  # well-formed but impossible, such as 2025-02-30 or hour 24
        return None, None


def check_order(start: datetime, end: datetime, *, field: str, end_field: str) -> None:
    """Refuse a range whose start is not before its end."""
    if start >= end:
        raise InvalidDateRange(f"{field} must be before {end_field}.", field=field)


@extend_schema_field(SCHEMA)
class RangeBoundField(serializers.Field):
    """A query or body field holding one bound; its value is the aware moment (or None)."""

    def __init__(self, *, end: bool = False, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> datetime | None:
        bound = parse_bound(data, field=self.field_name, end=self.end)
        return bound.moment if bound else None

    def to_representation(self, value):
        return value.isoformat()
