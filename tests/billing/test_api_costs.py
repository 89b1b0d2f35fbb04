"""GET /api/costs: stored costs summed per device and local day, plus each period's charges."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from billing import selectors, services
from billing.costs.report import costs_to_api
from billing.engine import Interval, data_window, local_range, price
from devices.models import Device, HourlyRollup, Reading
from devices.signals import rollups_updated
from tests.billing.factories import HOUR, devices, forced_client, utc, write_hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_at(operator_user):
    return forced_client(operator_user)


def daily(plug, first_day, days: int, hour: int, kwh: float) -> list:
    return [
        write_hours(plug, utc(2024, 3, first_day + n, hour), [kwh], notify=False)[0]
        for n in range(days)
    ]


def polled(plugs, hours) -> None:
    rollups_updated.send(sender=Device, device_ids=[p.pk for p in plugs], hours=hours)


def test_a_plan_change_mid_month_keeps_the_old_price_before_the_change(operator_at):
    heater, lamp = devices(2)
    with time_machine.travel(utc(2024, 3, 1), tick=False):
        operator_at.post("/api/rates", {
            "rate_type": "simple", "timezone": "UTC", "rate_structure": {"rate_per_kwh": 0.10},
            "monthly_service_charge": 5,
        }, format="json")  # fmt: skip
    polled([heater, lamp], daily(heater, 1, 10, 12, 2.0) + daily(lamp, 1, 10, 18, 1.0))
    with time_machine.travel(utc(2024, 3, 11), tick=False):
        operator_at.post("/api/rates", {
            "rate_type": "tiered", "timezone": "UTC", "monthly_service_charge": 5,
            "rate_structure": {"tier1_limit": 30, "tier1_rate": 0.20, "tier2_rate": 0.40},
        }, format="json")  # fmt: skip
    polled([heater, lamp], daily(heater, 11, 10, 12, 2.0) + daily(lamp, 11, 10, 18, 1.0))
    services.price_pending()
    with time_machine.travel(utc(2024, 3, 21), tick=False):
        body = operator_at.get("/api/costs?start_date=2024-03-01&end_date=2024-03-20").json()
    # By hand: 30 kWh by 11 March at 0.10 = 3.00. Tiers count from 1 March, so the household
    # is at the 30 kWh limit when the tiered plan starts: 30 kWh at 0.40 = 12.00. The
    # service charge is 5 under both plans: 10/31 x 5 + 21/31 x 5 = 5.00, on 1 March.
    assert body["total_cost"] == 20.0 and body["total_kwh"] == 60.0
    assert body["fixed_charges"] == 5.0 and body["average_daily_cost"] == 1.0
    rows = {d["date"]: d["cost"] for d in body["daily_breakdown"]}
    assert rows["2024-03-01"] == 5.30
    assert {rows[f"2024-03-{n:02d}"] for n in range(2, 11)} == {0.30}
    assert {rows[f"2024-03-{n:02d}"] for n in range(11, 21)} == {1.20}
    by_device = {d["device_name"]: d for d in body["devices"]}
    assert by_device[heater.name]["total_cost"] == 10.0  # 20 x 0.10 + 20 x 0.40
    assert by_device[lamp.name]["total_cost"] == 5.0
    assert by_device[heater.name]["percentage"] == 66.7
    assert by_device[lamp.name]["device_ip"] == lamp.host


def test_a_device_whose_counter_reset_is_billed_for_what_it_used(admin_api):
    admin_api.post("/api/rates", {"rate_type": "simple", "rate_per_kwh": 0.25}, format="json")
    (plug,) = devices(1)
    # The counter reads 100.0, 100.5, then resets to 0.02: that interval's energy comes
    # from power x time (1000 W for 30 min = 0.5 kWh), then the counter runs on.
    readings = [
        (utc(2024, 3, 5, 10, 30), 100.5, 1000.0, 0.5),
        (utc(2024, 3, 5, 11, 0), 0.02, 1000.0, 0.5),  # reset: power x duration
        (utc(2024, 3, 5, 11, 30), 0.52, 1000.0, 0.5),
        (utc(2024, 3, 5, 12, 0), 1.02, 1000.0, 0.5),
    ]
    Reading.objects.bulk_create(
        Reading(device=plug, timestamp=at, energy_total_kwh=total, power_w=w, energy_delta_kwh=d)
        for at, total, w, d in readings
    )
    hours = {}
    for at, _, _, delta in readings:  # each reading's energy belongs to the half hour before it
        start = (at - timedelta(minutes=30)).replace(minute=0)
        hours[start] = hours.get(start, 0.0) + delta
    for hour, kwh in hours.items():
        HourlyRollup.objects.create(device=plug, hour=hour, energy_kwh=kwh, samples=2)
    rollups_updated.send(sender=Device, device_ids=[plug.pk], hours=list(hours))
    body = admin_api.get("/api/costs?start_date=2024-03-05&end_date=2024-03-05").json()
    assert body["total_kwh"] == 2.0 and body["total_cost"] == 0.5  # 2 kWh x 0.25


def test_totals_equal_the_sums_of_the_breakdowns_and_the_engine_price(admin_api):
    plan = {
        "rate_type": "time_of_use", "timezone": "America/New_York", "billing_cycle_start_day": 5,
        "time_of_use_rates": [
            {"start_hour": 21, "end_hour": 7, "rate": 0.0813},
            {"start_hour": 7, "end_hour": 21, "rate": 0.1977},
        ],
        "monthly_service_charge": 9.99, "demand_charge_per_kw": 1.37,
        "additional_fees": {"Meter": 1.11}, "tax": {"rate": 8.25},
    }  # fmt: skip
    services.rate_plan_save(plan, now=utc(2024, 1, 1))
    rng = random.Random(3)
    plugs = devices(4)
    for plug in plugs:
        kwhs = [round(rng.uniform(0, 0.7), 5) for _ in range(24 * 40)]
        write_hours(plug, utc(2024, 2, 1), kwhs, notify=False)
    services.price_pending()
    body = admin_api.get("/api/costs?start_date=2024-02-03&end_date=2024-03-07").json()
    costs = [Decimal(str(d["cost"])) for d in body["daily_breakdown"]]
    total = Decimal(str(body["total_cost"]))
    assert sum(costs) == total
    assert (
        sum(Decimal(str(d["total_cost"])) for d in body["devices"])
        + Decimal(str(body["fixed_charges"]))
        == total
    )
    assert abs(sum(Decimal(str(d["percentage"])) for d in body["devices"]) - 100) <= Decimal("0.1")
    assert len(body["billing_periods"]) == 2  # 5 February and 5 March start in the range
    # The same figures as the engine pricing all the readings at once.
    versions = selectors.plan_versions()
    start, end = local_range(versions[0][1], *map(_day, ("2024-02-03", "2024-03-07")))
    low, high = data_window(versions, start, end)
    rows = HourlyRollup.objects.filter(hour__gte=low, hour__lt=high)
    intervals = [Interval(r.device_id, r.hour, r.hour + HOUR, str(r.energy_kwh)) for r in rows]
    expected = costs_to_api(price(intervals, versions, start, end))
    for key in ("total_cost", "total_kwh", "fixed_charges", "energy_cost", "average_daily_cost"):
        assert Decimal(str(body[key])) == expected[key], key
    assert [d["cost"] for d in body["daily_breakdown"]] == [
        float(d["cost"]) for d in expected["daily_breakdown"]
    ]


def _day(text):
    from datetime import date

    return date.fromisoformat(text)


@pytest.mark.parametrize(
    "query",
    [
        "start_date=2024-03-10&end_date=2024-03-01",
        "start_date=2024-13-01",
        "end_date=yesterday",
        "start_date=2000-01-01&end_date=2024-01-01",
    ],
)
def test_it_refuses_a_bad_date_range(viewer_api, query):
    answer = viewer_api.get(f"/api/costs?{query}")
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_DATE_RANGE"


def test_the_default_range_is_this_month_so_far(viewer_user):
    with time_machine.travel(utc(2024, 3, 20, 12), tick=False):
        body = forced_client(viewer_user).get("/api/costs").json()
    assert (body["start_date"], body["end_date"]) == ("2024-03-01", "2024-03-20")
    assert len(body["daily_breakdown"]) == 20 and body["total_cost"] == 0


def test_selectors_for_the_devices_app_read_stored_costs():
    services.rate_plan_save({"rate_type": "simple", "rate_per_kwh": 0.5}, now=utc(2024, 1, 1))
    a, b = devices(2)
    write_hours(a, utc(2024, 1, 2), [1.0, 2.0])
    write_hours(b, utc(2024, 1, 2), [4.0])
    assert selectors.hourly_costs(a.pk, utc(2024, 1, 2), utc(2024, 1, 3)) == {
        utc(2024, 1, 2, 0): Decimal("0.5"),
        utc(2024, 1, 2, 1): Decimal("1"),
    }
    assert selectors.cost_between([a.pk, b.pk], utc(2024, 1, 2), utc(2024, 1, 2, 1)) == Decimal(
        "2.5"
    )
