"""A typical day's price by hour, for the rates page: what a kWh costs at each hour."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from billing.decimals import ZERO
from billing.engine.tou import band_rate, prices_for_month


def day_prices(plan: Mapping[str, Any], day: date) -> list[Decimal]:
    """The price of a kWh used in each hour (0-23) of a local day under a normalised plan.

    The time-of-use (or flat) rate of the hour's middle, plus the first tier's rate: a
    household still within its first tier. Fixed charges and tax are left out.
    """
    prices = prices_for_month(plan, day.month)
    first_tier = prices["tier_rates"][0]["rate"] if prices["tier_rates"] else ZERO
    return [
        band_rate(prices, datetime(day.year, day.month, day.day, hour, 30)) + first_tier
        for hour in range(24)
    ]


def typical_week(plan: Mapping[str, Any], today: date) -> dict[str, list[Decimal]]:
    """A weekday's and a weekend day's prices by hour, in the week of `today`."""
    monday = today - timedelta(days=today.weekday())
    return {
        "weekday": day_prices(plan, monday + timedelta(days=2)),
        "weekend": day_prices(plan, monday + timedelta(days=5)),
    }
