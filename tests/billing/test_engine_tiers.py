"""Tiers: marginal rates on the household's total since the cycle day, shared between devices."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from billing.engine import Interval, billing_periods, data_window, price
from billing.plans import normalise_plan

D = Decimal


def hourly(device: str, first: datetime, hours: int, kwh: str) -> list[Interval]:
    return [
        Interval(device, first + timedelta(hours=h), first + timedelta(hours=h + 1), D(kwh))
        for h in range(hours)
    ]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# The spec's tier shape: 0-100 kWh at 0.10, 100-200 at 0.15, above 200 at 0.20.
THREE_TIERS = normalise_plan(
    {
        "rate_type": "tiered",
        "currency": "USD",
        "timezone": "UTC",
        "billing_cycle_start_day": 15,
        "rate_structure": {
            "tier1_limit": 100,
            "tier1_rate": 0.10,
            "tier2_limit": 200,
            "tier2_rate": 0.15,
            "tier3_rate": 0.20,
        },
    }
)
VERSIONS = [(utc(2023, 1, 1), THREE_TIERS)]


def test_billing_periods_run_from_cycle_day_to_cycle_day():
    periods = billing_periods(utc(2024, 1, 1), utc(2024, 2, 1), THREE_TIERS)

    assert [(a.date(), b.date()) for a, b in periods] == [
        (date(2023, 12, 15), date(2024, 1, 15)),
        (date(2024, 1, 15), date(2024, 2, 15)),
    ]
    assert data_window(VERSIONS, utc(2024, 1, 1), utc(2024, 2, 1)) == (periods[0][0], periods[1][1])


def test_three_tiers_across_a_billing_cycle_boundary():
    # 12 kWh a day (0.5 kWh an hour) from Dec 15 (the cycle day) through Feb 14.
    start, end = data_window(VERSIONS, utc(2024, 1, 1), utc(2024, 2, 1))
    used = hourly("house", start, (end - start) // timedelta(hours=1), "0.5")

    january = price(used, VERSIONS, utc(2024, 1, 1), utc(2024, 2, 1))

    # Period Dec 15 - Jan 15: 17 days (204 kWh) were used before Jan 1, so tier 3 is reached
    # already; Jan 1-14 is 14 days x 12 = 168 kWh, all at 0.20.
    before_cycle_day = 168 * D("0.20")  # 33.60
    # Period Jan 15 - Feb 15, tiers start again: Jan 15-31 is 17 days x 12 = 204 kWh.
    after_cycle_day = 100 * D("0.10") + 100 * D("0.15") + 4 * D("0.20")  # 10 + 15 + 0.80 = 25.80
    assert january.total_kwh == D("372")
    assert january.total_cost == before_cycle_day + after_cycle_day == D("59.40")
    days = {d.date: d.cost for d in january.days}
    assert days[date(2024, 1, 14)] == 12 * D("0.20")
    assert days[date(2024, 1, 15)] == 12 * D("0.10")  # back in tier 1 on the cycle day
    # Tier 1 ends at 100 kWh: 8 days (96 kWh) + 8 hours (4 kWh), on Jan 23 at 08:00.
    assert days[date(2024, 1, 23)] == 4 * D("0.10") + 8 * D("0.15")
    # Tier 2 ends at 200 kWh: 16 days (192) + 16 hours (8), on Jan 31 at 16:00.
    assert days[date(2024, 1, 31)] == 8 * D("0.15") + 4 * D("0.20")


def test_a_tier_is_shared_between_devices_in_proportion_to_their_energy():
    two_tiers = normalise_plan(
        {
            "rate_type": "tiered",
            "rate_config": {
                "tier_rates": [
                    {"min_kwh": 0, "max_kwh": 10, "rate_per_kwh": 0.10},
                    {"min_kwh": 10, "max_kwh": None, "rate_per_kwh": 0.30},
                ]
            },
        }
    )
    start = utc(2024, 3, 1)
    used = hourly("heater", start, 3, "3") + hourly("lamp", start, 3, "1")

    result = price(used, [(start, two_tiers)], start, start + timedelta(days=1))

    # Household: 4 kWh an hour. Hours 1-2 reach 8 kWh, all tier 1. Hour 3 uses 4 kWh from 8:
    # 2 kWh in tier 1, 2 kWh in tier 2, split 3:1 between the heater and the lamp.
    heater = 6 * D("0.10") + D("1.5") * D("0.10") + D("1.5") * D("0.30")  # 0.60 + 0.15 + 0.45
    lamp = 2 * D("0.10") + D("0.5") * D("0.10") + D("0.5") * D("0.30")  # 0.20 + 0.05 + 0.15
    assert {d.device_id: d.cost for d in result.devices} == {"heater": heater, "lamp": lamp}
    assert result.total_cost == 10 * D("0.10") + 2 * D("0.30") == heater + lamp == D("1.60")
    third_hour = [i.cost for i in result.intervals if i.start == start + timedelta(hours=2)]
    assert third_hour == [D("0.60"), D("0.20")]


def test_an_interval_crossing_a_tier_limit_is_split_at_it():
    one_interval = [Interval("dryer", utc(2024, 3, 1, 10), utc(2024, 3, 1, 12), D("150"))]
    start = utc(2024, 3, 1)

    result = price(one_interval, [(start, THREE_TIERS)], start, start + timedelta(days=1))

    assert result.total_cost == 100 * D("0.10") + 50 * D("0.15")  # 17.50


def test_combined_adds_the_tier_rate_to_the_time_of_use_rate():
    combined = normalise_plan(
        {
            "rate_type": "combined",
            "time_of_use_rates": [
                {"start_hour": 16, "end_hour": 21, "rate": "0.40", "label": "Peak"},
                {"start_hour": 21, "end_hour": 16, "rate": "0.31", "label": "Off-peak"},
            ],
            "tier_rates": [
                {"min_kwh": 0, "max_kwh": 5, "rate_per_kwh": 0},
                {"min_kwh": 5, "max_kwh": None, "rate_per_kwh": "0.09"},
            ],
        }
    )
    start = utc(2024, 3, 1)
    used = hourly("oven", utc(2024, 3, 1, 14), 8, "1")  # 1 kWh an hour, 14:00 to 22:00

    result = price(used, [(start, combined)], start, start + timedelta(days=1))

    # 14, 15 off-peak in tier 1; 16-18 peak in tier 1 (reaching 5 kWh); 19, 20 peak in tier 2;
    # 21 off-peak in tier 2.
    assert [i.cost for i in result.intervals] == [D("0.31")] * 2 + [D("0.40")] * 3 + [
        D("0.49"),
        D("0.49"),
        D("0.40"),
    ]
    assert result.total_cost == 2 * D("0.31") + 3 * D("0.40") + 2 * (D("0.40") + D("0.09")) + (
        D("0.31") + D("0.09")
    )
