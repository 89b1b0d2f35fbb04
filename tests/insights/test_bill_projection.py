"""GET /api/insights/bill-projection: the billing period so far, projected to its end from
the recent weekday and weekend pattern, priced with the plans in force; and the check of the
closed period. Every figure is worked out by hand from constructed hourly rollups."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission

from billing import services as billing_services
from insights.models import ProjectionCheck
from tests.billing.factories import forced_client, write_hours
from tests.factories import DeviceFactory
from tests.insights.support import HOUR, save_plan, utc
from tests.support import assert_error

pytestmark = pytest.mark.django_db
MONDAY_16_JUNE = utc(2025, 6, 16)
SIMPLE = {"rate_type": "simple", "rate_per_kwh": 0.10, "timezone": "UTC"}


@pytest.fixture
def admin_at(admin_user):
    return forced_client(admin_user)


@pytest.fixture
def viewer_at(viewer_user):
    return forced_client(viewer_user)


def days_of_use(device, first: date, last: date, daily_kwh) -> None:
    """Rollups for every hour of these UTC days; daily_kwh(day) spread evenly over 24 hours."""
    day = first
    while day <= last:
        start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("UTC"))
        write_hours(device, start, [daily_kwh(day) / 24] * 24)
        day += timedelta(days=1)


def weekday_or_weekend(weekday_kwh: float, weekend_kwh: float):
    return lambda day: weekend_kwh if day.weekday() >= 5 else weekday_kwh


def projection(client, at: datetime, query: str = "") -> dict:
    billing_services.price_pending()
    with time_machine.travel(at, tick=False):
        response = client.get(f"/api/insights/bill-projection{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_projection_crossing_into_the_next_tier_is_priced_in_it(admin_at, viewer_at):
    save_plan(admin_at, utc(2025, 5, 1), {
        "rate_type": "tiered", "timezone": "UTC", "monthly_service_charge": 10,
        "rate_structure": {"tier1_limit": 100, "tier1_rate": 0.10, "tier2_rate": 0.20},
    })  # fmt: skip
    days_of_use(DeviceFactory(), date(2025, 5, 19), date(2025, 6, 15), weekday_or_weekend(4.8, 12))
    body = projection(viewer_at, MONDAY_16_JUNE)
    assert body["period"] == {
        "start": "2025-06-01T00:00:00Z", "end": "2025-07-01T00:00:00Z",
        "first_day": "2025-06-01", "last_day": "2025-06-30", "days": 30, "days_elapsed": 15.0,
    }  # fmt: skip
    # 1-15 June: 10 weekdays x 4.8 + 5 weekend days x 12 = 108 kWh; 100 at 0.10 + 8 at 0.20.
    # No grid intensity saved: the default 475 g/kWh, 108 kWh x 0.475 kg = 51.3 kg.
    assert body["so_far"] == {"kwh": 108.0, "energy_cost": 11.6, "co2_kg": 51.3}
    # The pattern (19 May - 15 June): 20 weekdays of 4.8 kWh, 8 weekend days of 12 kWh.
    assert body["basis"] == {"history_days": 28, "weekdays": 20, "weekend_days": 8,
                             "weekday_kwh": 4.8, "weekend_kwh": 12.0}  # fmt: skip
    # 16-30 June: 11 weekdays x 4.8 + 4 weekend days x 12 = 100.8 kWh, all past the
    # 100 kWh of the first tier: 100.8 x 0.20 = 20.16. The service charge once: 10.
    projected = body["projected"]
    assert (projected["kwh"], projected["energy_cost"]) == (208.8, 31.76)
    assert (projected["fixed_charges"], projected["total_cost"]) == (10.0, 41.76)
    # Every day of a type used the same: the quartiles are the mean, low = high = projection.
    assert projected["low"] == projected["high"] == {"kwh": 208.8, "total_cost": 41.76}
    assert body["currency"] == "USD"


def test_low_and_high_take_the_quartiles_of_recent_days(admin_at, viewer_at):
    save_plan(admin_at, utc(2025, 5, 1), SIMPLE)
    weekday = {date(2025, 6, 9 + n): kwh for n, kwh in enumerate([2, 4, 6, 8, 10])}
    days_of_use(DeviceFactory(), date(2025, 6, 9), date(2025, 6, 15),
                lambda day: weekday.get(day, 12))  # fmt: skip
    body = projection(viewer_at, MONDAY_16_JUNE, "?history_days=7")
    assert body["so_far"] == {"kwh": 54.0, "energy_cost": 5.4, "co2_kg": 25.65}  # x 0.475 kg
    # Weekdays average 6 kWh, weekend days 12: the rest is 11 x 6 + 4 x 12 = 114 kWh.
    assert body["projected"]["kwh"] == 168.0 and body["projected"]["total_cost"] == 16.8
    # Weekday quartiles of 2, 4, 6, 8, 10: 4 and 8, so 66 kWh becomes 44 and 88. Two weekend
    # days are too few: the quartiles of all seven days (5 and 11, mean 54/7) scale 48 kWh
    # to 31.111 and 68.444.
    assert body["projected"]["low"] == {"kwh": 129.111, "total_cost": 12.91}
    assert body["projected"]["high"] == {"kwh": 210.444, "total_cost": 21.04}


def test_with_tiers_the_low_and_high_totals_are_priced_in_their_own_tiers(admin_at, viewer_at):
    save_plan(admin_at, utc(2025, 5, 1), {
        "rate_type": "tiered", "timezone": "UTC",
        "rate_structure": {"tier1_limit": 150, "tier1_rate": 0.10, "tier2_rate": 0.20},
    })  # fmt: skip
    weekday = {date(2025, 6, 9 + n): kwh for n, kwh in enumerate([2, 4, 6, 8, 10])}
    days_of_use(DeviceFactory(), date(2025, 6, 9), date(2025, 6, 15),
                lambda day: weekday.get(day, 12))  # fmt: skip
    projected = projection(viewer_at, MONDAY_16_JUNE, "?history_days=7")["projected"]
    # The same days as above. Projected 168 kWh: 150 at 0.10 + 18 at 0.20 = 18.60. Low
    # 129.111 kWh stays in the first tier: 12.91. High 210.444 kWh: 15.00 + 60.444 x 0.20
    # = 27.09 (scaling the projection's cost would have said 18.60 x 210.444 / 168 = 23.30).
    assert (projected["kwh"], projected["total_cost"]) == (168.0, 18.6)
    assert projected["low"] == {"kwh": 129.111, "total_cost": 12.91}
    assert projected["high"] == {"kwh": 210.444, "total_cost": 27.09}


def test_a_plan_change_mid_period_prices_each_part_with_its_own_plan(admin_at, viewer_at):
    save_plan(admin_at, utc(2025, 5, 1), SIMPLE)
    save_plan(admin_at, utc(2025, 6, 12), {**SIMPLE, "rate_per_kwh": 0.20})
    save_plan(admin_at, utc(2025, 6, 12, 0, 1),
              {**SIMPLE, "rate_per_kwh": 0.30, "effective_date": "2025-06-21"})  # fmt: skip
    days_of_use(DeviceFactory(), date(2025, 6, 9), date(2025, 6, 15), weekday_or_weekend(4.8, 12))
    body = projection(viewer_at, MONDAY_16_JUNE, "?history_days=7")
    # So far: 9-11 June 14.4 kWh at 0.10 = 1.44; 12-13 June 9.6 at 0.20 = 1.92; the weekend
    # 24 at 0.20 = 4.80. The rest: 16-20 June 24 kWh at 0.20 = 4.80, then from 21 June under
    # the scheduled plan 2 x 12 + 5 x 4.8 + 2 x 12 + 4.8 = 76.8 kWh at 0.30 = 23.04.
    # Carbon does not follow the plans: 48 kWh x 0.475 kg = 22.8 kg.
    assert body["so_far"] == {"kwh": 48.0, "energy_cost": 8.16, "co2_kg": 22.8}
    assert body["projected"]["kwh"] == 148.8
    assert body["projected"]["energy_cost"] == 36.0 and body["projected"]["fixed_charges"] == 0


def test_a_day_of_25_hours_is_projected_hour_by_hour(settings, admin_at, viewer_at):
    settings.TIME_ZONE = "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    save_plan(admin_at, utc(2025, 9, 1), {**SIMPLE, "timezone": "Europe/Berlin"})
    # 13-19 October local, 0.1 kWh every hour (summer time: local midnight is 22:00Z).
    write_hours(DeviceFactory(), utc(2025, 10, 12, 22), [0.1] * 7 * 24)
    body = projection(viewer_at, datetime(2025, 10, 20, tzinfo=berlin), "?history_days=7")
    # The rest: 20 October to 1 November local is 12 days and the hour 26 October gains:
    # 289 hours x 0.1 = 28.9 kWh, after 16.8 so far.
    assert body["period"]["start"] == "2025-09-30T22:00:00Z"
    assert body["period"]["end"] == "2025-10-31T23:00:00Z"
    assert body["so_far"]["kwh"] == 16.8
    assert body["projected"]["kwh"] == 45.7 and body["projected"]["total_cost"] == 4.57


def test_a_closed_period_keeps_its_mid_period_projection_beside_the_actual(admin_at, viewer_at):
    save_plan(admin_at, utc(2025, 4, 1), {**SIMPLE, "monthly_service_charge": 5})
    plug = DeviceFactory()
    # 0.1 kWh an hour from 20 April; from the middle of May (16 May 12:00) twice as much.
    middle = utc(2025, 5, 16, 12)
    first = (middle - utc(2025, 4, 20)) // HOUR
    write_hours(plug, utc(2025, 4, 20), [0.1] * first)
    write_hours(plug, middle, [0.2] * ((utc(2025, 6, 3) - middle) // HOUR))
    body = projection(viewer_at, utc(2025, 6, 3))
    # At mid-May the pattern was 0.1 kWh an hour: 744 hours -> 74.4 kWh, 7.44 + 5 = 12.44.
    # May came to 372 x 0.1 + 372 x 0.2 = 111.6 kWh, 11.16 + 5 = 16.16: 3.72 under, -23.0 %.
    assert body["checks"] == [{
        "first_day": "2025-05-01", "last_day": "2025-05-31", "currency": "USD",
        "projected_at": "2025-05-16T12:00:00Z", "projected_kwh": 74.4, "projected_cost": 12.44,
        "low_cost": 12.44, "high_cost": 12.44, "actual_kwh": 111.6, "actual_cost": 16.16,
        "error_cost": -3.72, "error_percent": -23.0,
    }]  # fmt: skip
    projection(viewer_at, utc(2025, 6, 4))
    assert ProjectionCheck.objects.count() == 1  # kept once


def test_it_needs_the_permission_to_view_costs(client, viewer_user, viewer_at):
    for path in ("/api/insights/bill-projection", "/api/insights/standby"):
        assert_error(client.get(path), 401, "AUTH_REQUIRED")
        assert viewer_at.get(path).status_code == 200
    Group.objects.get(name="viewer").permissions.remove(
        Permission.objects.get(codename="costs.view")
    )
    viewer_at = forced_client(type(viewer_user).objects.get(pk=viewer_user.pk))  # no cached perms
    for path in ("/api/insights/bill-projection", "/api/insights/standby"):
        body = assert_error(viewer_at.get(path), 403, "INSUFFICIENT_PERMISSIONS")
        assert body["required_permission"] == "costs.view"


@pytest.mark.parametrize("query", ["?history_days=6", "?history_days=91", "?history_days=x"])
def test_bad_input_is_a_400_in_the_error_shape(viewer_at, query):
    response = viewer_at.get(f"/api/insights/bill-projection{query}")
    assert_error(response, 400, "VALIDATION_ERROR")
