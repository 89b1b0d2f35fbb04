"""Aggregated, filtered and priced numbers, against values worked out by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exports import services
from exports.request import parse
from tests.exports.helpers import RANGE, T0, make_readings, plug, price_hours

pytestmark = pytest.mark.django_db


def rows(user, **body):
    cfg = parse({"export_type": "device_data", "date_range": RANGE, **body}, now=T0)
    table = services.build_document(cfg, user=user, export_id="t").tables[0]
    keys = [c.key for c in table.columns]
    return [dict(zip(keys, r, strict=True)) for r in table.rows]


def test_hourly_aggregation_averages_power_and_sums_energy_and_cost(operator_user):
    lamp = plug(alias="Lamp")
    # 10:00, 10:15, 10:30, 10:45 at 10, 20, 30, 40 W; 11:00, 11:15 at 50, 60 W
    make_readings(lamp, count=6, power=lambda i: 10.0 * (i + 1), delta=lambda i: 0.001 * (i + 1))
    price_hours(lamp, rate="0.30")
    out = rows(
        operator_user, aggregation="hourly", fields=["timestamp", "power_w", "energy_kwh", "cost"]
    )
    assert [r["timestamp"] for r in out] == [T0, T0 + timedelta(hours=1)]
    assert out[0]["power_w"] == pytest.approx(25.0)  # (10+20+30+40)/4
    assert out[0]["energy_kwh"] == pytest.approx(0.010)  # 1+2+3+4 Wh
    assert out[0]["cost"] == pytest.approx(0.003)  # 0.010 kWh x 0.30
    assert out[1]["power_w"] == pytest.approx(55.0)
    assert out[1]["energy_kwh"] == pytest.approx(0.011)


def test_aggregation_functions_are_chosen_per_field(operator_user):
    lamp = plug()
    make_readings(lamp, count=4, power=lambda i: [5.0, 50.0, 20.0, 10.0][i])
    out = rows(operator_user, aggregation="daily", fields=["timestamp", "power_w", "voltage"],
               aggregation_functions={"power_w": "max", "voltage": "count"})  # fmt: skip
    assert out == [{"timestamp": T0.replace(hour=0), "power_w": 50.0, "voltage": 4.0}]


def test_daily_buckets_follow_the_requested_time_zone(operator_user):
    lamp = plug()
    # 10:00-11:45 UTC is 05:00-06:45 in New York: still one local day
    make_readings(lamp, count=8, delta=0.5)
    out = rows(operator_user, aggregation="daily", fields=["timestamp", "energy_kwh"],
               options={"timezone": "America/New_York"})  # fmt: skip
    assert len(out) == 1
    assert out[0]["timestamp"].isoformat() == "2024-01-15T00:00:00-05:00"
    assert out[0]["energy_kwh"] == pytest.approx(4.0)


def test_a_raw_readings_cost_is_its_energy_share_of_the_hour(operator_user):
    lamp = plug()
    make_readings(lamp, count=4, delta=lambda i: [0.1, 0.3, 0.0, 0.6][i])
    price_hours(lamp, rate="0.50")  # the hour: 1.0 kWh costs 0.50
    costs = [r["cost"] for r in rows(operator_user, fields=["cost"])]
    assert costs == pytest.approx([0.05, 0.15, 0.0, 0.30])


def test_unpriced_hours_give_no_cost(operator_user):
    lamp = plug()
    make_readings(lamp, count=2)
    price_hours(lamp, rate=None)
    assert [r["cost"] for r in rows(operator_user, fields=["cost"])] == [None, None]


def test_filters_on_power_state_time_of_day_and_weekday(operator_user):
    lamp = plug()
    make_readings(
        lamp, count=8, power=lambda i: [0.0, 5.0, 100.0, 2500.0, 50.0, 60.0, 70.0, 80.0][i]
    )
    assert len(rows(operator_user, filters={"min_power": 10, "max_power": 2000})) == 5
    assert len(rows(operator_user, filters={"device_states": ["off"]})) == 1
    # 10:00..11:45 UTC; keep 10:30 up to (not including) 11:00
    assert (
        len(rows(operator_user, filters={"time_of_day": {"start": "10:30", "end": "11:00"}})) == 2
    )
    assert rows(operator_user, filters={"days_of_week": [6, 7]}) == []  # 2024-01-15 is a Monday
    assert len(rows(operator_user, filters={"days_of_week": [1]})) == 8


def test_outliers_are_dropped_beyond_three_standard_deviations(operator_user):
    lamp = plug()
    make_readings(
        lamp, count=40, step_minutes=1, power=lambda i: 5000.0 if i == 7 else 100.0 + i % 3
    )
    powers = [
        r["power_w"]
        for r in rows(operator_user, filters={"exclude_outliers": True}, fields=["power_w"])
    ]
    assert len(powers) == 39 and 5000.0 not in powers


def test_custom_fields_and_decimal_places(operator_user):
    lamp = plug()
    make_readings(lamp, count=1, power=123.456, delta=0.0123456)
    out = rows(operator_user, fields=["power_w"], options={"decimal_places": 1},
               custom_fields=[{"name": "kw", "formula": "power_w / 1000", "unit": "kW"},
                              {"name": "neg", "formula": "-(power_w - 23.456) * 2"}])  # fmt: skip
    assert out == [{"power_w": 123.5, "kw": 0.1, "neg": -200.0}]


def test_privacy_options_hide_addresses_and_identifiers(operator_user):
    lamp = plug(host="127.0.2.100", device_id="50:C7:BF:AA:BB:CC")
    make_readings(lamp, count=1)
    out = rows(operator_user, fields=["device_ip", "device_id"],
               privacy_options={"anonymize_ip_addresses": True, "hash_device_identifiers": True})  # fmt: skip
    assert out[0]["device_ip"] == "127.0.2.0"
    assert out[0]["device_id"].startswith("dev_") and "BB" not in out[0]["device_id"]


def test_cost_analysis_breakdowns_by_rate_band(operator_user):
    from exports.costs import cost_document

    a, b = plug(alias="A"), plug(alias="B")
    make_readings(a, count=4, delta=0.25)  # 1 kWh at 0.10
    make_readings(b, count=4, delta=0.5)  # 2 kWh at 0.30
    price_hours(a, rate="0.10", g_per_kwh=400)
    price_hours(b, rate="0.30", g_per_kwh=400)
    cfg = parse({"export_type": "cost_analysis", "date_range": RANGE, "grouping": "daily",
                 "breakdown_by": ["device", "time_of_use"]}, now=T0)  # fmt: skip
    summary, by_device, by_band = cost_document(cfg).tables
    # kg CO2 beside the cost: 3 kWh x 400 g = 1.2 kg; A 1 kWh = 0.4 kg, B 2 kWh = 0.8 kg.
    assert summary.rows == [
        ("2024-01-15", 3.0, pytest.approx(0.70), pytest.approx(0.2333, abs=1e-4),
         pytest.approx(1.2))
    ]  # fmt: skip
    assert [(r[2], r[4], r[5], r[6]) for r in by_device.rows] == [
        ("A", pytest.approx(0.1), pytest.approx(14.3), pytest.approx(0.4)),
        ("B", pytest.approx(0.6), pytest.approx(85.7), pytest.approx(0.8)),
    ]
    assert [(r[1], r[2], r[3]) for r in by_band.rows] == [
        ("Band 1", 0.1, "10:00-11:00"),
        ("Band 2", 0.3, "10:00-11:00"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"fields": ["cost", "device_id", "timestamp", "is_on", "energy_total_kwh", "current"]},
        {"options": {"decimal_places": 2, "timezone": "Asia/Kolkata"},
         "privacy": {"anonymize_ip_addresses": True, "hash_device_identifiers": True},
         "fields": ["timestamp", "device_ip", "device_id", "power_w", "cost", "is_on"]},
        {"filters": {"min_power": 30, "time_of_day": {"start": "10:20", "end": "11:10"}}},
    ],
)  # fmt: skip
def test_raw_rows_come_out_the_same_as_through_the_per_record_path(operator_user, body):
    from exports import readings

    lamp, fan = plug(alias="Lamp"), plug(alias="Fan")
    make_readings(lamp, count=8, power=lambda i: 10.0 * (i + 1), delta=lambda i: 0.0013 * i)
    make_readings(fan, count=5, power=lambda i: [0.0, 44.4, 5.5, 80.0, 1.25][i])
    price_hours(lamp, rate="0.31")
    cfg = parse({"export_type": "device_data", "date_range": RANGE, **body}, now=T0)

    fast = list(readings._raw_rows(cfg, None))

    assert fast == list(readings._record_rows(cfg, None))
    assert len(fast) >= 1
