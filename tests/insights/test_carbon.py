"""kg of CO2 beside the insights' costs: the standby's year, the bill projection and what
changed, each at the grid's intensity of the hour's local month and hour of the day,
worked out by hand on constructed data (a DST year, a month override, a plan change)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from billing import selectors as billing_selectors
from billing import services as billing_services
from tests.billing.factories import forced_client, write_hours
from tests.factories import DeviceFactory
from tests.insights.support import HOUR, power_hours, save_plan, utc

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
SIMPLE = {"rate_type": "simple", "rate_per_kwh": 0.10, "timezone": "UTC"}


@pytest.fixture
def admin_at(admin_user):
    return forced_client(admin_user)


@pytest.fixture
def viewer_at(viewer_user):
    return forced_client(viewer_user)


def set_intensity(client, at: datetime, body: dict) -> None:
    with time_machine.travel(at, tick=False):
        assert client.put("/api/grid-intensity", body, format="json").status_code == 200


def get(client, at: datetime, url: str) -> dict:
    billing_services.price_pending()
    with time_machine.travel(at, tick=False):
        response = client.get(url)
    assert response.status_code == 200, response.json()
    return response.json()


# Nights (local 00:00-05:00) at 100 g, winter (December-February) at 600 g, else 400 g.
NIGHTS_AND_WINTER = {
    "default_g_per_kwh": 400,
    "overrides": [
        {"start_hour": 0, "end_hour": 5, "g_per_kwh": 100},
        {"start_month": 12, "end_month": 2, "g_per_kwh": 600},
    ],
}


def test_the_standby_year_counts_each_local_hour_through_both_clock_changes(
    settings, admin_at, viewer_at
):
    settings.TIME_ZONE = "Europe/Berlin"
    now = datetime(2025, 6, 10, 12, tzinfo=BERLIN)
    set_intensity(admin_at, utc(2025, 6, 1), NIGHTS_AND_WINTER)
    start = datetime(2025, 6, 10, tzinfo=BERLIN)
    end = datetime(2026, 6, 10, tzinfo=BERLIN)
    # 10 June 2025 - 9 June 2026 on Berlin's clock: 8,760 hours (26 October 2025 has 25,
    # 29 March 2026 has 23). Night hours: 365 x 5, one more on 26 October (02:00 twice)
    # and one fewer on 29 March (02:00 skipped) = 1,825 at 100 g. Winter's other hours:
    # (31 + 31 + 28 days) x 19 = 1,710 at 600 g. The rest, 8,760 - 1,825 - 1,710 = 5,225,
    # at 400 g. 1 kW over the year: 182,500 + 1,026,000 + 2,090,000 = 3,298,500 g.
    assert billing_selectors.steady_power_co2_g(1000.0, start, end) == 3_298_500.0
    tv = DeviceFactory(alias="TV")
    night = [
        datetime.combine(date(2025, 6, 4) + timedelta(days=n), datetime.min.time(), BERLIN)
        + HOUR * h
        for n in range(7)
        for h in range(5)
    ]
    power_hours(tv, {hour: 20.0 for hour in night})
    body = get(viewer_at, now, "/api/insights/standby")
    # 20 W always on: 0.02 kW x 3,298,500 g = 65,970 g = 66.0 kg (at a flat 400 g it would
    # be 175.2 kWh x 0.4 = 70.1 kg).
    assert body["household"]["standby_w"] == 20.0
    assert body["household"]["yearly_co2_kg"] == 66.0
    assert body["devices"][0]["yearly_co2_kg"] == 66.0


def test_the_projection_reads_the_months_ahead_at_their_own_intensity(admin_at, viewer_at):
    save_plan(admin_at, utc(2025, 5, 1), {**SIMPLE, "billing_cycle_start_day": 15})
    # Evenings 18:00-22:00 at 800 g (listed first, so also in July), July at 200 g, else 400.
    set_intensity(admin_at, utc(2025, 5, 1), {
        "default_g_per_kwh": 400,
        "overrides": [{"start_hour": 18, "end_hour": 22, "g_per_kwh": 800},
                      {"start_month": 7, "end_month": 7, "g_per_kwh": 200}],
    })  # fmt: skip
    plug = DeviceFactory()
    for n in range(7):  # 9-15 June: weekdays 4.8 kWh (0.2 an hour), weekend days 12 (0.5)
        day = date(2025, 6, 9) + timedelta(days=n)
        hourly = 0.5 if day.weekday() >= 5 else 0.2
        write_hours(plug, datetime(2025, 6, 9 + n, tzinfo=ZoneInfo("UTC")), [hourly] * 24)
    body = get(viewer_at, utc(2025, 6, 16), "/api/insights/bill-projection?history_days=7")
    # The period is 15 June - 14 July. So far, Sunday 15 June: 0.5 kWh x (20 h x 400 g +
    # 4 h x 800 g) = 0.5 x 11,200 = 5,600 g.
    assert body["so_far"]["kwh"] == 12.0 and body["so_far"]["co2_kg"] == 5.6
    # The rest of June: 11 weekdays x 0.2 x 11,200 + 4 weekend days x 0.5 x 11,200 =
    # 24,640 + 22,400 = 47,040 g. July's day is 20 h x 200 + 4 h x 800 = 7,200 g a kWh an
    # hour: 10 weekdays x 0.2 x 7,200 + 4 weekend days x 0.5 x 7,200 = 28,800 g.
    # 5,600 + 47,040 + 28,800 = 81,440 g.
    assert body["projected"]["kwh"] == 208.8 and body["projected"]["co2_kg"] == 81.44


def test_what_changed_sets_kg_against_kg_whatever_the_plan_did(admin_at, viewer_at):
    save_plan(admin_at, utc(2025, 5, 1), SIMPLE)
    save_plan(admin_at, utc(2025, 6, 5), {**SIMPLE, "rate_per_kwh": 0.20})
    # Noon at 100 g in June (300 g before), 20:00 at 700 g in any month.
    set_intensity(admin_at, utc(2025, 6, 5, 1), {
        "default_g_per_kwh": 300,
        "overrides": [{"start_hour": 19, "end_hour": 21, "g_per_kwh": 700},
                      {"start_month": 6, "end_month": 6, "g_per_kwh": 100}],
    })  # fmt: skip
    plug = DeviceFactory(alias="Heater")
    day = date(2025, 5, 23)
    while day <= date(2025, 6, 9):  # 1 kWh at 12:00 and at 20:00 UTC each day
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo("UTC"))
        write_hours(plug, noon, [1.0] + [0.0] * 7 + [1.0])
        day += timedelta(days=1)
    body = get(viewer_at, utc(2025, 6, 12), "/api/insights/changes?start=2025-06-01&end=2025-06-09")
    # 1-9 June: 9 x (100 + 700) g = 7.2 kg; 18 kWh cost 4 days x 2 x 0.10 + 5 x 2 x 0.20 =
    # 2.80. 23-31 May: 9 x (300 + 700) g = 9.0 kg; 18 kWh at 0.10 = 1.80. The plan doubled
    # the price, not the carbon: -1.8 kg, -20 %.
    assert body["household"] == {"kwh": 18.0, "cost": 2.8, "co2_kg": 7.2}
    previous = body["previous"]["household"]
    assert (previous["earlier_co2_kg"], previous["co2_change_kg"]) == (9.0, -1.8)
    assert previous["co2_change_percent"] == -20.0 and previous["cost_change"] == 1.0
    assert body["previous"]["devices"][0]["co2_kg"] == 7.2
