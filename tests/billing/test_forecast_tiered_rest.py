"""The rest of a tiered billing period in two parts (billing.forecast.TieredRest): the
bill projection prices its low and high ends with them instead of running the engine
again, so they must come to what the engine gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing import forecast
from billing.plans import normalise_plan

D = Decimal
START = datetime(2024, 5, 31, 22, tzinfo=UTC)  # 1 June 2024, Berlin
END = datetime(2024, 6, 30, 22, tzinfo=UTC)
AT = datetime(2024, 6, 17, 7, 30, tzinfo=UTC)  # mid-period, mid-hour
COMBINED = normalise_plan({
    "rate_type": "combined", "timezone": "Europe/Berlin", "default_rate": 0.05,
    "time_of_use_rates": [{"start_hour": 7, "end_hour": 21, "rate": 0.12, "days_of_week": [0, 1, 2, 3, 4]}],
    "tier_rates": [{"max_kwh": 300, "rate": 0.10}, {"max_kwh": None, "rate": 0.15}],
    "tax": {"rate": 7},
})  # fmt: skip


def rest(scale: Decimal = Decimal(1)) -> list[tuple]:  # noqa: B008 (immutable)
    """The current hour's rest, then every hour to the end: 0.3-0.9 kWh, by day type."""
    hours = [(AT, AT.replace(minute=0) + timedelta(hours=1))]
    while hours[-1][1] < END:
        hours.append((hours[-1][1], hours[-1][1] + timedelta(hours=1)))
    return [
        (a, b, (D("0.3") + D(n % 7) / 10) * scale, "weekend" if a.weekday() >= 5 else "weekday")
        for n, (a, b) in enumerate(hours)
    ]


@pytest.mark.parametrize("scale", [D(1), D("0.7"), D("1.3")])
def test_the_two_parts_come_to_what_the_engine_gives(scale):
    versions = [(datetime(2024, 1, 1, tzinfo=UTC), COMBINED)]
    used = D(250)  # the rest crosses the 300-kWh step (about 200 kWh more)
    engine = forecast.rest_of_period_cost(versions, START, AT, used, rest(scale), END)
    split = forecast.rest_of_period_tiered(versions, START, AT, used, rest(), END)
    added = sum(kwh for _, _, kwh, _ in rest(scale))
    shortcut = sum(split.band.values()) * scale + split.tier_cost(added)
    assert shortcut == pytest.approx(sum(engine.values()), abs=D("1e-9"))


def test_the_tier_part_by_hand():
    plan = normalise_plan({
        "rate_type": "tiered", "timezone": "UTC", "tax": {"rate": 10},
        "rate_structure": {"tier1_limit": 100, "tier1_rate": 0.10, "tier2_rate": 0.20},
    })  # fmt: skip
    start, end = datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)
    at = datetime(2025, 6, 20, tzinfo=UTC)
    future = [(at, at + timedelta(hours=1), D(20), "weekday")]
    split = forecast.rest_of_period_tiered([(start, plan)], start, at, D(90), future, end)
    # Tiers alone: no time-of-use part. 90 kWh used, 20 more: 10 at 0.10 and 10 at 0.20,
    # 3.00, and 10 % tax: 3.30.
    assert sum(split.band.values()) == 0
    assert split.tier_cost(D(20)) == D("3.3")


def test_a_plan_change_inside_the_period_falls_back_to_the_engine():
    later = datetime(2024, 6, 20, tzinfo=UTC)
    versions = [(datetime(2024, 1, 1, tzinfo=UTC), COMBINED), (later, COMBINED)]
    assert forecast.rest_of_period_tiered(versions, START, AT, D(250), rest(), END) is None
