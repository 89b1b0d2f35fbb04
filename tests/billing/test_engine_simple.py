"""A simple (flat) plan priced against a bill worked out by hand; rounding that adds up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing.costs.report import costs_to_api
from billing.engine import Interval, compare, percentages, present, present_parts, price
from billing.plans import normalise_plan

D = Decimal
JAN_1 = datetime(2024, 1, 1, tzinfo=UTC)


def hourly(device: str, first: datetime, hours: int, kwh: str) -> list[Interval]:
    return [
        Interval(device, first + timedelta(hours=h), first + timedelta(hours=h + 1), D(kwh))
        for h in range(hours)
    ]


SIMPLE = normalise_plan(
    {"rate_type": "simple", "currency": "USD", "rate_structure": {"rate_per_kwh": 0.12}}
)


def three_days() -> list[Interval]:
    return hourly("fridge", JAN_1, 72, "0.5") + hourly("tv", JAN_1, 72, "0.25")


def test_it_prices_a_simple_plan_like_the_hand_bill():
    result = price(three_days(), [(JAN_1, SIMPLE)], JAN_1, JAN_1 + timedelta(days=3))

    # fridge 0.5 kWh x 72 h = 36 kWh x $0.12 = $4.32; tv 0.25 x 72 = 18 kWh x 0.12 = $2.16
    assert result.total_kwh == D("54")
    assert result.total_cost == D("6.48")
    assert {d.device_id: d.cost for d in result.devices} == {"fridge": D("4.32"), "tv": D("2.16")}
    # each day: (0.5 + 0.25) x 24 = 18 kWh x 0.12 = $2.16
    assert [d.cost for d in result.days] == [D("2.16")] * 3
    assert result.average_daily_cost == D("2.16")
    assert result.currency == "USD"


def test_totals_equal_the_sums_of_their_breakdowns_exactly():
    odd = hourly("heater", JAN_1, 50, "0.333") + hourly("lamp", JAN_1, 50, "0.0071")
    result = price(odd, [(JAN_1, SIMPLE)], JAN_1, JAN_1 + timedelta(days=3))

    assert result.total_cost == sum(d.cost for d in result.days)
    assert result.total_cost == sum(d.cost for d in result.devices) + result.fixed_cost
    assert result.total_cost == sum(i.cost for i in result.intervals) + result.fixed_cost
    assert result.total_kwh == sum(i.kwh for i in result.intervals)
    # 50 h x 0.333 = 16.65 kWh; 50 h x 0.0071 = 0.355 kWh; 17.005 kWh x 0.12 = 2.0406
    assert result.total_cost == D("2.0406")


def test_floats_are_read_through_str_so_they_stay_exact():
    plan = normalise_plan({"rate_type": "flat", "rate_config": {"flat_rate": 0.1}})
    items = [
        Interval("a", JAN_1 + timedelta(hours=h), JAN_1 + timedelta(hours=h + 1), 0.1)
        for h in range(3)
    ]

    result = price(items, [(JAN_1, plan)], JAN_1, JAN_1 + timedelta(days=1))

    assert result.total_cost == D(
        "0.03"
    )  # 0.1 + 0.1 + 0.1 = 0.3 kWh x 0.1 (floats: 0.030000000000000006)


def test_only_the_part_of_an_interval_inside_the_range_counts():
    crossing = [Interval("a", JAN_1 - timedelta(minutes=30), JAN_1 + timedelta(minutes=30), D("2"))]

    result = price(crossing, [(JAN_1, SIMPLE)], JAN_1, JAN_1 + timedelta(days=1))

    # half of the hour is in range: 1 kWh x 0.12
    assert result.total_kwh == D("1")
    assert result.total_cost == D("0.12")


def test_the_api_answer_adds_up_after_rounding():
    items = (
        hourly("a", JAN_1, 72, "0.1111")
        + hourly("b", JAN_1, 72, "0.1111")
        + hourly("c", JAN_1, 72, "0.1111")
    )
    answer = costs_to_api(
        price(items, [(JAN_1, SIMPLE)], JAN_1, JAN_1 + timedelta(days=3)),
        devices={"a": {"device_name": "Kettle"}},
    )

    # 3 x 72 x 0.1111 = 23.9976 kWh x 0.12 = 2.879712 -> 2.88; per day 0.959904 -> 0.96
    assert answer["total_cost"] == D("2.88")
    assert answer["average_daily_cost"] == D("0.96")
    assert sum(day["cost"] for day in answer["daily_breakdown"]) == answer["total_cost"]
    assert (
        sum(d["total_cost"] for d in answer["devices"]) + answer["fixed_charges"]
        == answer["total_cost"]
    )
    assert sum(d["percentage"] for d in answer["devices"]) == D("100.0")
    assert [d["percentage"] for d in answer["devices"]] == [D("33.4"), D("33.3"), D("33.3")]
    assert answer["devices"][0]["device_name"] == "Kettle"


def test_present_rounds_half_up():
    assert present(D("2.675")) == D("2.68")  # a float 2.675 would round down
    assert present(D("2.665")) == D("2.67")
    assert present(D("1234.5"), 0) == D("1235")


def test_rounded_parts_add_up_to_the_rounded_total():
    thirds = [D(1) / 3] * 3

    assert present_parts(thirds) == [D("0.34"), D("0.33"), D("0.33")]
    assert sum(present_parts([D("0.125"), D("0.125"), D("0.125"), D("0.125")])) == present(D("0.5"))


def test_percentages_add_up_to_one_hundred():
    shares = percentages([D("1"), D("1"), D("1"), D("1"), D("1"), D("1"), D("1")])

    assert sum(shares) == D("100.0")
    assert percentages([D("3"), D("1")]) == [D("75.0"), D("25.0")]
    assert percentages([D(0), D(0)]) == [D("0.0"), D("0.0")]


def test_compare_prices_the_same_consumption_under_each_plan():
    tou = {
        "rate_type": "time_of_use",
        "time_of_use_rates": [
            {"start_hour": 23, "end_hour": 7, "rate": 0.05, "label": "Night"},
            {"start_hour": 7, "end_hour": 23, "rate": 0.15, "label": "Day"},
        ],
    }
    tiered = {
        "rate_type": "tiered",
        "rate_structure": {"tier1_limit": 10, "tier1_rate": 0.10, "tier2_rate": 0.14},
    }
    day = hourly("a", JAN_1, 24, "1")

    results = compare(
        day,
        {"simple": SIMPLE, "tou": normalise_plan(tou), "tiered": normalise_plan(tiered)},
        JAN_1,
        JAN_1 + timedelta(days=1),
    )

    assert {name: r.total_cost for name, r in results.items()} == {
        "simple": D("24") * D("0.12"),  # 2.88
        "tou": 8 * D("0.05") + 16 * D("0.15"),  # 0.40 + 2.40 = 2.80
        "tiered": 10 * D("0.10") + 14 * D("0.14"),  # 1.00 + 1.96 = 2.96
    }


def test_it_refuses_naive_times_and_backwards_intervals():
    with pytest.raises(ValueError):
        Interval("a", datetime(2024, 1, 1), datetime(2024, 1, 2), D(1))
    with pytest.raises(ValueError):
        Interval("a", JAN_1, JAN_1, D(1))
    with pytest.raises(ValueError):
        Interval("a", JAN_1, JAN_1 + timedelta(hours=1), D(-1))
