"""Energy prices of a plan or season: flat rate, time-of-use periods, tiers; and their checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import PlanError
from .fields import ZERO, Fields, label, number, whole

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "",
    *[
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
)
DAY_MINUTES = 24 * 60
_START_KEYS = ("start_minute", "start_hour", "start_time", "start")
_END_KEYS = ("end_minute", "end_hour", "end_time", "end")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_TIER_KEY = re.compile(r"tier(\d+)_(?:rate|limit)")

# What each kind of price list needs: (flat rate, time-of-use periods, tiers).
# True: required; False: ignored if present; None: optional.
_NEEDS = {
    "simple": (True, False, False),
    "tiered": (False, False, True),
    "time_of_use": (False, True, False),
    "combined": (False, True, True),
    "seasonal": (None, None, None),
    "seasonal_tiered": (None, None, True),
}


def pricing(fields: Fields, kind: str) -> dict:
    """Return {rate_per_kwh, time_of_use_rates, default_rate, tier_rates} for a plan or a
    season of kind. default_rate prices the hours no period covers (None: the first period's
    rate); it is None, and ignored, without periods."""
    rate_need, tou_need, tier_need = _NEEDS[kind]
    rate, rate_path = fields.find("rate_per_kwh", "flat_rate", "base_rate")
    periods, periods_path = fields.find("time_of_use_rates")
    periods = periods or None  # an empty list, as a normalised plan keeps it, means none
    tiers = _tiers(fields) if tier_need is not False else None
    _require(rate_need, rate, rate_path)
    _require(tou_need, periods, periods_path)
    _require(tier_need, tiers, fields.find("tier_rates")[1])
    prices = {
        "rate_per_kwh": None if rate_need is False or rate is None else number(rate, rate_path),
        "time_of_use_rates": []
        if tou_need is False or periods is None
        else _periods(periods, periods_path),
        "tier_rates": tiers or [],
    }
    default, default_path = fields.find("default_rate")
    prices["default_rate"] = (
        number(default, default_path)
        if prices["time_of_use_rates"] and default is not None
        else None
    )
    if prices["rate_per_kwh"] is None and not prices["time_of_use_rates"] and not tiers:
        raise PlanError(
            fields.find("base_rate")[1], "give a base_rate, time_of_use_rates or tier_rates"
        )
    return prices


def seasons(value: Any, path: str, rate_type: str) -> list[dict]:
    """Return the seasons of a seasonal plan; together they must cover each month once."""
    if not isinstance(value, list) or not value:
        raise PlanError(path, "must list at least one season")
    kind = "seasonal_tiered" if rate_type == "seasonal_tiered" else "seasonal"
    parsed = [_season(item, f"{path}[{i}]", kind) for i, item in enumerate(value)]
    _check_months(parsed, path)
    return parsed


def season_months(season: Mapping) -> list[int]:
    """The months of a season, start to end inclusive, wrapping from December to January."""
    start, end = season["start_month"], season["end_month"]
    if start <= end:
        return list(range(start, end + 1))
    return list(range(start, 13)) + list(range(1, end + 1))


def fallback_rate(prices: Mapping) -> Decimal:
    """The rate of the hours no time-of-use period covers: default_rate, else the first period's
    (as the original Kasa Monitor priced them)."""
    if prices["default_rate"] is not None:
        return prices["default_rate"]
    return prices["time_of_use_rates"][0]["rate"]


def uncovered_hours(prices: Mapping) -> list[dict]:
    """The stretches of each weekday no period covers, as {start_minute, end_minute,
    days_of_week}: one entry per stretch, listing the days it is uncovered on."""
    periods = prices["time_of_use_rates"]
    gaps: dict[tuple[int, int], list[int]] = {}
    for day in range(7) if periods else ():
        cursor = 0
        for start, end in sorted(_day_pieces(periods, day)):
            if start > cursor:
                gaps.setdefault((cursor, start), []).append(day)
            cursor = max(cursor, end)
        if cursor < DAY_MINUTES:
            gaps.setdefault((cursor, DAY_MINUTES), []).append(day)
    stretches = [
        {"start_minute": start, "end_minute": end, "days_of_week": days}
        for (start, end), days in gaps.items()
    ]
    return sorted(stretches, key=lambda g: (g["days_of_week"][0], g["start_minute"]))


def _day_pieces(periods: list[dict], day: int) -> list[tuple[int, int]]:
    return [piece for p in periods if day in p["days_of_week"] for piece in period_pieces(p)]


def period_pieces(period: Mapping) -> list[tuple[int, int]]:
    """The minutes of the day a period covers, split in two where it wraps past midnight."""
    start, end = period["start_minute"], period["end_minute"]
    if start < end:
        return [(start, end)]
    return [(start, DAY_MINUTES), (0, end)]


def _require(need: bool | None, value: Any, path: str) -> None:
    if need and value is None:
        raise PlanError(path, "is required for this rate type")


def _season(item: Any, path: str, kind: str) -> dict:
    fields = Fields(item, f"{path}.")
    return {
        "start_month": whole(item.get("start_month"), f"{path}.start_month", 1, 12),
        "end_month": whole(item.get("end_month"), f"{path}.end_month", 1, 12),
        "label": label(item),
        **pricing(fields, kind),
    }


def _check_months(parsed: list[dict], path: str) -> None:
    owner: dict[int, int] = {}
    for i, season in enumerate(parsed):
        for month in season_months(season):
            if month in owner:
                key = "start_month" if month == season["start_month"] else "end_month"
                raise PlanError(
                    f"{path}[{i}].{key}", f"overlaps {path}[{owner[month]}] in {MONTH_NAMES[month]}"
                )
            owner[month] = i
    missing = [MONTH_NAMES[m] for m in range(1, 13) if m not in owner]
    if missing:
        raise PlanError(path, f"no season covers {', '.join(missing)}")


# Time-of-use periods


def _periods(value: Any, path: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise PlanError(path, "must list at least one period")
    parsed = [_period(item, f"{path}[{i}]") for i, item in enumerate(value)]
    periods = [p for p, _ in parsed]
    for day in range(7):
        _check_day(periods, [where for _, where in parsed], path, day)
    return periods


def _period(item: Any, path: str) -> tuple[dict, dict[str, str]]:
    if not isinstance(item, Mapping):
        raise PlanError(path, "must be an object")
    start, start_path = _time(item, path, _START_KEYS, end=False)
    end, end_path = _time(item, path, _END_KEYS, end=True)
    rate_key = "rate" if item.get("rate") is not None else "rate_per_kwh"
    period = {
        "start_minute": start,
        "end_minute": end,
        "rate": number(item.get(rate_key), f"{path}.{rate_key}"),
        "label": label(item),
        "days_of_week": _days(item.get("days_of_week"), f"{path}.days_of_week"),
    }
    return period, {"start": start_path, "end": end_path}


def _time(item: Mapping, path: str, keys: tuple[str, ...], *, end: bool) -> tuple[int, str]:
    """Minutes after midnight; an end at midnight is 1440 (the end of the day)."""
    key = next((k for k in keys if item.get(k) is not None), None)
    if key is None:
        raise PlanError(f"{path}.{keys[1]}", "is required")
    if key.endswith("_minute"):
        minute = whole(item[key], f"{path}.{key}", 0, DAY_MINUTES if end else DAY_MINUTES - 1)
    else:
        minute = _clock_minute(item[key], f"{path}.{key}", end=end)
    return (minute or DAY_MINUTES) if end else minute, f"{path}.{key}"


def _clock_minute(value: Any, path: str, *, end: bool) -> int:
    last = 24 if end else 23
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    try:
        hour, minute = (int(match[1]), int(match[2])) if match else (whole(value, path, 0, last), 0)
    except PlanError:
        hour, minute = -1, 0
    if not 0 <= hour <= last or minute > 59 or (hour == 24 and minute):
        raise PlanError(path, f'must be an hour from 0 to {last} or a time "HH:MM"')
    return hour * 60 + minute


def _days(value: Any, path: str) -> list[int]:
    if value is None:
        return list(range(7))
    if not isinstance(value, list) or not value:
        raise PlanError(
            path, "must list days 0 (Monday) to 6 (Sunday), or be left out for every day"
        )
    return sorted({whole(day, path, 0, 6) for day in value})


def _check_day(periods: list[dict], where: list[dict[str, str]], path: str, day: int) -> None:
    """Periods that apply on day must not overlap; hours none covers get the fallback rate."""
    pieces = sorted(
        (start, end, i)
        for i, period in enumerate(periods)
        if day in period["days_of_week"]
        for start, end in period_pieces(period)
    )
    cursor, previous, name = 0, None, DAY_NAMES[day]
    for start, end, i in pieces:
        if start < cursor:
            # Blame the start of a period that began inside the previous one when that
            # one runs to midnight only because it wraps; otherwise the previous end.
            real_end = periods[previous]["end_minute"] == cursor
            field = where[previous]["end"] if real_end else where[i]["start"]
            raise PlanError(
                field,
                f"overlaps {path}[{i}] on {name} from {_hhmm(start)} to {_hhmm(min(cursor, end))}",
            )
        cursor, previous = end, i


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# Tiers


def _tiers(fields: Fields) -> list[dict] | None:
    """The tier ladder from tierN_limit/tierN_rate keys, or from a list of tiers, if any."""
    for prefix, layer in fields.layers:
        numbers = [int(m[1]) for key in layer if (m := _TIER_KEY.fullmatch(str(key)))]
        if numbers:
            return _numbered_tiers(layer, prefix, max(numbers))
    value, path = fields.find("tier_rates", "tiers")
    return None if value is None or value == [] else _tier_list(value, path)


def _numbered_tiers(layer: Mapping, prefix: str, count: int) -> list[dict]:
    tiers, low = [], ZERO
    for n in range(1, count + 1):
        rate = number(layer.get(f"tier{n}_rate"), f"{prefix}tier{n}_rate")
        high = _top(layer.get(f"tier{n}_limit"), f"{prefix}tier{n}_limit", low, last=n == count)
        tiers.append({"min_kwh": low, "max_kwh": high, "rate": rate})
        low = high
    return tiers


def _tier_list(value: Any, path: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise PlanError(path, "must list at least one tier")
    tiers, low = [], ZERO
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise PlanError(where, "must be an object")
        if item.get("min_kwh") is not None and number(item["min_kwh"], f"{where}.min_kwh") != low:
            raise PlanError(
                f"{where}.min_kwh",
                f"must be {low}: tiers start at 0 and each starts where the last ends",
            )
        high = _top(item.get("max_kwh"), f"{where}.max_kwh", low, last=i == len(value) - 1)
        rate_key = "rate" if item.get("rate") is not None else "rate_per_kwh"
        tiers.append(
            {
                "min_kwh": low,
                "max_kwh": high,
                "rate": number(item.get(rate_key), f"{where}.{rate_key}"),
            }
        )
        low = high
    return tiers


def _top(value: Any, path: str, low: Decimal, *, last: bool) -> Decimal | None:
    if last:
        if value is not None:
            raise PlanError(path, "must be left out: the last tier has no upper limit")
        return None
    if value is None:
        raise PlanError(path, "is required: only the last tier is unlimited")
    high = number(value, path)
    if high <= low:
        raise PlanError(path, f"must be more than {low} kWh, where this tier starts")
    return high
