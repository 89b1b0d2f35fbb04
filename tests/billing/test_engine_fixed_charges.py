"""Service charge, demand charge, tax and fees: once per billing period, never per day or device."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from billing.costs.report import costs_to_api
from billing.engine import Interval, data_window, price
from billing.plans import normalise_plan

D = Decimal


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def steady(device: str, first: datetime, last: datetime, kwh_per_hour: str) -> list[Interval]:
    hours = (last - first) // timedelta(hours=1)
    return [
        Interval(
            device, first + timedelta(hours=h), first + timedelta(hours=h + 1), D(kwh_per_hour)
        )
        for h in range(hours)
    ]


PLAN = normalise_plan(
    {
        "rate_type": "simple",
        "currency": "USD",
        "timezone": "UTC",
        "rate_structure": {"rate_per_kwh": "0.10"},
        "monthly_service_charge": "10.00",
        "demand_charge_per_kw": "5.00",
        "tax": {"rate": "10", "applies_to": ["energy", "service", "fees"]},  # demand untaxed
        "additional_fees": {"Grid access": "2.50", "Meter": "1.00"},
    }
)
VERSIONS = [(utc(2024, 1, 1), PLAN)]


def three_devices() -> list[Interval]:
    """January and February 2024 (29 days): two steady devices and a kettle that peaks once
    in each month, in 15-minute readings in January and as one hourly rollup in February."""
    kettle_january = [
        Interval(
            "kettle",
            utc(2024, 1, 10, 18, 15 * q),
            utc(2024, 1, 10, 18, 15 * q) + timedelta(minutes=15),
            D(k),
        )
        for q, k in enumerate(["0.5", "1.0", "0.25", "0.25"])
    ]
    kettle_february = [Interval("kettle", utc(2024, 2, 5, 7), utc(2024, 2, 5, 8), D("3"))]
    return (
        steady("fridge", utc(2024, 1, 1), utc(2024, 3, 1), "0.2")
        + steady("router", utc(2024, 1, 1), utc(2024, 3, 1), "0.1")
        + kettle_january
        + kettle_february
    )


# January: fridge 0.2 x 744 h = 148.8, router 74.4, kettle 2.0 -> 225.2 kWh x 0.10 = 22.52
JAN_ENERGY = (D("148.8") + D("74.4") + D("2.0")) * D("0.10")
# Peak quarter Jan 10 18:15-18:30: kettle 1.0 + fridge 0.05 + router 0.025 = 1.075 kWh -> 4.3 kW
JAN_DEMAND = (D("1.0") + D("0.05") + D("0.025")) * 4 * D("5.00")  # 21.50
# February: fridge 0.2 x 696 h = 139.2, router 69.6, kettle 3 -> 211.8 kWh x 0.10 = 21.18
FEB_ENERGY = (D("139.2") + D("69.6") + D("3")) * D("0.10")
# The hourly rollup spreads 3 kWh evenly: 0.75 + 0.05 + 0.025 = 0.825 kWh a quarter -> 3.3 kW
FEB_DEMAND = (D("0.75") + D("0.05") + D("0.025")) * 4 * D("5.00")  # 16.50
SERVICE, FEES = D("10.00"), D("2.50") + D("1.00")


def month_bill(energy: Decimal, demand: Decimal) -> Decimal:
    tax = (energy + SERVICE + FEES) * D("0.10")
    return energy + SERVICE + demand + FEES + tax


def test_each_fixed_component_is_charged_once_per_period():
    result = price(three_devices(), VERSIONS, utc(2024, 1, 1), utc(2024, 3, 1))

    january, february = result.periods
    assert (january.service, january.demand, january.fees) == (
        SERVICE,
        JAN_DEMAND,
        {"Grid access": D("2.50"), "Meter": D("1.00")},
    )
    assert january.demand_kw == D("4.3")
    assert january.demand_at == utc(2024, 1, 10, 18, 15)
    assert (february.demand_kw, february.demand) == (D("3.3"), FEB_DEMAND)
    assert january.tax == (SERVICE + FEES) * D("0.10")  # 1.35; the energy's tax is on the energy
    jan_bill, feb_bill = month_bill(JAN_ENERGY, JAN_DEMAND), month_bill(FEB_ENERGY, FEB_DEMAND)
    assert (jan_bill, feb_bill) == (D("61.122"), D("54.648"))
    assert result.total_cost == jan_bill + feb_bill == D("115.770")


def test_fixed_charges_land_on_the_first_day_of_their_period():
    result = price(three_devices(), VERSIONS, utc(2024, 1, 1), utc(2024, 3, 1))

    fixed = {d.date: d.fixed for d in result.days if d.fixed}
    assert fixed == {
        date(2024, 1, 1): SERVICE + JAN_DEMAND + FEES + D("1.35"),
        date(2024, 2, 1): SERVICE + FEB_DEMAND + FEES + D("1.35"),
    }
    # Devices carry their energy and its tax; fixed charges are a line of their own.
    devices = {d.device_id: d.cost for d in result.devices}
    assert devices == {
        "fridge": (D("148.8") + D("139.2")) * D("0.10") * D("1.10"),  # 31.68
        "router": (D("74.4") + D("69.6")) * D("0.10") * D("1.10"),  # 15.84
        "kettle": (D("2") + D("3")) * D("0.10") * D("1.10"),  # 0.55
    }
    assert sum(devices.values()) + result.fixed_cost == result.total_cost


def test_a_period_is_charged_in_full_when_it_starts_in_the_range():
    start, end = data_window(VERSIONS, utc(2024, 1, 15), utc(2024, 2, 15))
    assert (start, end) == (utc(2024, 1, 1), utc(2024, 3, 1))

    result = price(three_devices(), VERSIONS, utc(2024, 1, 15), utc(2024, 2, 15))

    # January started before the range: none of its fixed charges. February starts inside:
    # all of them, its demand measured over the whole of February.
    assert [p.start for p in result.periods] == [utc(2024, 2, 1)]
    # Energy Jan 15 - Feb 14: 31 days x 24 h x 0.3 kWh = 223.2 kWh + the kettle's 3 kWh
    energy = (D("223.2") + 3) * D("0.10") * D("1.10")
    assert result.total_cost == energy + SERVICE + FEB_DEMAND + FEES + D("1.35") == D("56.232")


def test_adjacent_ranges_add_up_to_the_whole():
    whole = price(three_devices(), VERSIONS, utc(2024, 1, 1), utc(2024, 3, 1))
    parts = [
        price(three_devices(), VERSIONS, utc(2024, 1, 1), utc(2024, 1, 20)),
        price(three_devices(), VERSIONS, utc(2024, 1, 20), utc(2024, 2, 10)),
        price(three_devices(), VERSIONS, utc(2024, 2, 10), utc(2024, 3, 1)),
    ]

    assert sum(p.total_cost for p in parts) == whole.total_cost
    assert sum(len(p.periods) for p in parts) == 2


def test_the_api_answer_of_a_bill_with_fixed_charges_adds_up():
    answer = costs_to_api(price(three_devices(), VERSIONS, utc(2024, 1, 1), utc(2024, 3, 1)))

    assert answer["total_cost"] == D("115.77")
    assert answer["fixed_charges"] == D("36.35") + D("31.35")
    assert sum(d["total_cost"] for d in answer["devices"]) + answer["fixed_charges"] == D("115.77")
    assert sum(d["cost"] for d in answer["daily_breakdown"]) == D("115.77")
    assert len(answer["daily_breakdown"]) == 31 + 29
    assert [p["total"] for p in answer["billing_periods"]] == [D("36.35"), D("31.35")]
    assert answer["billing_periods"][0]["demand_kw"] == D("4.300")
