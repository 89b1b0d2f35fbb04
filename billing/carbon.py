"""The grid's carbon intensity (g CO2 per kWh), read and checked, and looked up per hour.

Applied like a price: the pricing pipeline (billing/costs/stored.py) stores each
device-hour's grams beside its cost, so every reader sums both in the same query. An hour
is looked up by its start on the household's clock (settings.TIME_ZONE): its local month
and local hour of the day, so the hours of a day the clocks change are each read at the
local hour they really are.

A setting is a default and a list of overrides, each for a range of months, a range of
hours of the day, or both; the first override listed that covers an hour gives its
intensity, the default the rest.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

# The world's average intensity of electricity generation in 2022 (IEA, about 460-480
# g/kWh): a placeholder until an admin gives the local grid's, shown with is_default.
DEFAULT_G_PER_KWH = 475.0
MAX_G_PER_KWH = 5000.0  # well above any grid (lignite is about 1,100)
MAX_OVERRIDES = 48


class IntensityError(ValueError):
    """A setting that cannot be applied; field is the dotted path of the offending field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class Intensity:
    """A checked setting and its table: g/kWh for each (local month 1-12, local hour 0-23)."""

    default_g_per_kwh: float
    overrides: tuple[dict, ...]
    table: tuple[tuple[float, ...], ...]  # [month - 1][hour]

    def at(self, hour: datetime, zone: ZoneInfo) -> float:
        """g/kWh of the UTC hour starting at `hour`, read at its local month and hour."""
        local = hour.astimezone(zone)
        return self.table[local.month - 1][local.hour]

    def to_api(self) -> dict:
        return {"default_g_per_kwh": self.default_g_per_kwh, "overrides": list(self.overrides)}


def normalise(data: Any) -> Intensity:
    """Return the checked setting; raise IntensityError naming the offending field."""
    if not isinstance(data, Mapping):
        raise IntensityError("intensity", "must be an object")
    default = _grams(data.get("default_g_per_kwh", DEFAULT_G_PER_KWH), "default_g_per_kwh")
    overrides = data.get("overrides") or []
    if not isinstance(overrides, list):
        raise IntensityError("overrides", "must be a list")
    if len(overrides) > MAX_OVERRIDES:
        raise IntensityError("overrides", f"at most {MAX_OVERRIDES} overrides")
    rules = tuple(_override(rule, f"overrides[{n}]") for n, rule in enumerate(overrides))
    return Intensity(default, rules, _table(default, rules))


def _override(rule: Any, path: str) -> dict:
    if not isinstance(rule, Mapping):
        raise IntensityError(path, "must be an object")
    months = _pair(rule, "start_month", "end_month", 1, 12, 12, path)
    hours = _pair(rule, "start_hour", "end_hour", 0, 23, 24, path)
    if months is None and hours is None:
        raise IntensityError(path, "give start_month/end_month, start_hour/end_hour or both")
    label = rule.get("label") or ""
    if not isinstance(label, str) or len(label) > 100:
        raise IntensityError(f"{path}.label", "must be text of at most 100 characters")
    out: dict = {}
    if months:
        out.update(start_month=months[0], end_month=months[1])
    if hours:
        out.update(start_hour=hours[0], end_hour=hours[1])
    return {**out, "g_per_kwh": _grams(rule.get("g_per_kwh"), f"{path}.g_per_kwh"), "label": label}


def _pair(rule: Mapping, first: str, last: str, low: int, high: int, end_high: int, path: str):
    given = [rule.get(first) not in (None, ""), rule.get(last) not in (None, "")]
    if not any(given):
        return None
    if not all(given):
        missing = last if given[0] else first
        raise IntensityError(f"{path}.{missing}", f"give both {first} and {last}, or neither")
    return (
        _whole(rule[first], f"{path}.{first}", low, high),
        _whole(rule[last], f"{path}.{last}", low if first == "start_month" else 0, end_high),
    )


def _whole(value: Any, field: str, low: int, high: int) -> int:
    try:
        number = int(value) if not isinstance(value, bool) and float(value) == int(value) else None
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or not low <= number <= high:
        raise IntensityError(field, f"must be a whole number from {low} to {high}")
    return number


def _grams(value: Any, field: str) -> float:
    try:
        grams = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        grams = math.nan
    if not 0 <= grams <= MAX_G_PER_KWH:  # also refuses NaN and infinity
        raise IntensityError(field, f"must be a number of g CO2/kWh from 0 to {MAX_G_PER_KWH:g}")
    return grams


def _table(default: float, rules: tuple[dict, ...]) -> tuple[tuple[float, ...], ...]:
    return tuple(
        tuple(_lookup(default, rules, month, hour) for hour in range(24)) for month in range(1, 13)
    )


def _lookup(default: float, rules: tuple[dict, ...], month: int, hour: int) -> float:
    for rule in rules:
        if _covers(rule.get("start_month"), rule.get("end_month"), month, inclusive=True) and (
            _covers(rule.get("start_hour"), rule.get("end_hour"), hour, inclusive=False)
        ):
            return rule["g_per_kwh"]
    return default


def _covers(start: int | None, end: int | None, value: int, *, inclusive: bool) -> bool:
    """Whether value lies in start..end: months inclusive, hours up to end (24: midnight);
    a range whose end comes before its start wraps; hours with start == end: all day."""
    if start is None:
        return True
    if not inclusive:
        end = end % 24
        if start == end:
            return True
        return start <= value < end if start < end else value >= start or value < end
    return start <= value <= end if start <= end else value >= start or value <= end


@lru_cache(maxsize=32)
def hours_per_cell(start: datetime, end: datetime, zone: ZoneInfo) -> dict[tuple[int, int], int]:
    """How many whole UTC hours of [start, end) start in each (local month, local hour)."""
    hour = timedelta(hours=1)
    at = start.astimezone(ZoneInfo("UTC")).replace(minute=0, second=0, microsecond=0)
    at = at if at >= start else at + hour
    cells: Counter = Counter()
    while at + hour <= end:
        local = at.astimezone(zone)
        cells[local.month, local.hour] += 1
        at += hour
    return dict(cells)
