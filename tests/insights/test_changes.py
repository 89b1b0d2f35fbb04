"""GET /api/insights/changes: a period's kWh and cost against the previous period and the
same period a year earlier, household and per device, with the biggest movers named.
Every figure is worked out by hand from constructed hourly rollups."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission

from billing import services as billing_services
from tests.billing.factories import forced_client, write_hours
from tests.factories import DeviceFactory
from tests.insights.support import save_plan, utc
from tests.support import assert_error

pytestmark = pytest.mark.django_db
TENTH_OF_JUNE = utc(2025, 6, 10)
SIMPLE = {"rate_type": "simple", "rate_per_kwh": 0.10, "timezone": "UTC"}


@pytest.fixture
def viewer_at(viewer_user):
    return forced_client(viewer_user)


def daily(device, first: date, last: date, kwh: float) -> None:
    """kwh a day on every UTC day first..last, spread evenly over its 24 hours: one write
    (and one pricing) for the whole range, not one a day."""
    days = (last - first).days + 1
    write_hours(device, datetime(first.year, first.month, first.day, tzinfo=ZoneInfo("UTC")),
                [kwh / 24] * 24 * days)  # fmt: skip


@pytest.fixture
def household(admin_user):
    """0.10 a kWh until June 2025, then 0.20 (a plan change between the periods compared).

    kWh a day:          1-9 Jun 2024   1-9 May 2025   10-31 May 2025   1-9 Jun 2025
    Kettle                  0.5             1               5               2
    Fridge                  1               3               3               1
    TV                      -               2               -               -
    Heater (new)            -               -               -               0.5
    """
    admin = forced_client(admin_user)
    save_plan(admin, utc(2024, 1, 1), SIMPLE)
    save_plan(admin, utc(2025, 6, 1), {**SIMPLE, "rate_per_kwh": 0.20})
    kettle, fridge = DeviceFactory(alias="Kettle"), DeviceFactory(alias="Fridge")
    tv, heater = DeviceFactory(alias="TV"), DeviceFactory(alias="Heater")
    daily(kettle, date(2024, 6, 1), date(2024, 6, 9), 0.5)
    daily(kettle, date(2025, 5, 1), date(2025, 5, 9), 1)
    daily(kettle, date(2025, 5, 10), date(2025, 5, 31), 5)
    daily(kettle, date(2025, 6, 1), date(2025, 6, 9), 2)
    daily(fridge, date(2024, 6, 1), date(2024, 6, 9), 1)
    daily(fridge, date(2025, 5, 1), date(2025, 5, 31), 3)
    daily(fridge, date(2025, 6, 1), date(2025, 6, 9), 1)
    daily(tv, date(2025, 5, 1), date(2025, 5, 9), 2)
    daily(heater, date(2025, 6, 1), date(2025, 6, 9), 0.5)
    billing_services.price_pending()
    return {"Kettle": kettle, "Fridge": fridge, "TV": tv, "Heater": heater}


def changes(client, query: str = "", at: datetime = TENTH_OF_JUNE) -> dict:
    with time_machine.travel(at, tick=False):
        response = client.get(f"/api/insights/changes{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def by_name(comparison: dict) -> dict:
    return {row["device_name"]: row for row in comparison["devices"]}


def test_the_billing_period_so_far_is_set_against_as_many_days_of_the_last(household, viewer_at):
    body = changes(viewer_at)
    assert body["period"] == {
        "start": "2025-06-01T00:00:00Z", "end": "2025-06-10T00:00:00Z",
        "first_day": "2025-06-01", "last_day": "2025-06-09", "so_far": True,
    }  # fmt: skip
    # 9 days of 2 + 1 + 0.5 kWh = 31.5 kWh at 0.20 = 6.30.
    # No grid intensity saved: 475 g/kWh, 31.5 kWh x 0.475 = 14.9625 kg, shown to 3 places.
    assert body["household"] == {"kwh": 31.5, "cost": 6.3, "co2_kg": 14.962}
    previous = body["previous"]
    # 1-9 May, not all of May: the Kettle's 5 kWh days from 10 May are not compared.
    assert (previous["first_day"], previous["last_day"]) == ("2025-05-01", "2025-05-09")
    # 9 days of 1 + 3 + 2 kWh = 54 kWh at 0.10 = 5.40: 22.5 kWh less but 0.90 more, as
    # each kWh now costs twice as much.
    assert previous["household"] == {
        "kwh": 31.5, "earlier_kwh": 54.0, "kwh_change": -22.5, "kwh_change_percent": -41.7,
        "cost": 6.3, "earlier_cost": 5.4, "cost_change": 0.9, "cost_change_percent": 16.7,
        "co2_kg": 14.962, "earlier_co2_kg": 25.65, "co2_change_kg": -10.688,
        "co2_change_percent": -41.7, "new": False,
    }  # fmt: skip
    rows = by_name(previous)
    # Kettle: 18 kWh, 3.60 against 9 kWh, 0.90: +100 % in kWh, +300 % in cost.
    assert rows["Kettle"]["kwh_change_percent"] == 100.0
    assert (rows["Kettle"]["cost_change"], rows["Kettle"]["cost_change_percent"]) == (2.7, 300.0)
    # Fridge: 9 kWh, 1.80 against 27 kWh, 2.70.
    assert (rows["Fridge"]["kwh_change"], rows["Fridge"]["cost_change"]) == (-18.0, -0.9)
    assert rows["Fridge"]["cost_change_percent"] == -33.3
    # Heater: nothing before, so no percentage: it is new.
    heater = rows["Heater"]
    assert (heater["kwh"], heater["cost"], heater["earlier_cost"]) == (4.5, 0.9, 0.0)
    assert heater["cost_change_percent"] is None and heater["kwh_change_percent"] is None
    assert heater["new"] is True
    # TV: 18 kWh, 1.80 before, nothing now.
    assert (rows["TV"]["cost_change"], rows["TV"]["cost_change_percent"]) == (-1.8, -100.0)
    assert [r["device_name"] for r in previous["devices"]] == ["Kettle", "Fridge", "Heater", "TV"]
    assert previous["movers"] == {
        "up": [
            {"id": household["Kettle"].pk, "device_name": "Kettle", "cost_change": 2.7,
             "cost_change_percent": 300.0, "label": "Kettle +300 %"},
            {"id": household["Heater"].pk, "device_name": "Heater", "cost_change": 0.9,
             "cost_change_percent": None, "label": "Heater new"},
        ],
        "down": [
            {"id": household["TV"].pk, "device_name": "TV", "cost_change": -1.8,
             "cost_change_percent": -100.0, "label": "TV -100 %"},
            {"id": household["Fridge"].pk, "device_name": "Fridge", "cost_change": -0.9,
             "cost_change_percent": -33.3, "label": "Fridge -33 %"},
        ],
    }  # fmt: skip


def test_a_year_ago_is_the_same_days_priced_with_that_years_plan(household, viewer_at):
    year = changes(viewer_at)["year_ago"]
    assert (year["start"], year["end"]) == ("2024-06-01T00:00:00Z", "2024-06-10T00:00:00Z")
    # 1-9 June 2024: 9 days of 0.5 + 1 kWh = 13.5 kWh at 0.10 = 1.35.
    assert year["household"] == {
        "kwh": 31.5, "earlier_kwh": 13.5, "kwh_change": 18.0, "kwh_change_percent": 133.3,
        "cost": 6.3, "earlier_cost": 1.35, "cost_change": 4.95, "cost_change_percent": 366.7,
        "co2_kg": 14.962, "earlier_co2_kg": 6.412, "co2_change_kg": 8.55,
        "co2_change_percent": 133.3, "new": False,
    }  # fmt: skip
    rows = by_name(year)
    # The Fridge used the same 9 kWh; its cost doubled with the price: 0.90 -> 1.80.
    assert (rows["Fridge"]["kwh_change"], rows["Fridge"]["kwh_change_percent"]) == (0.0, 0.0)
    assert (rows["Fridge"]["cost_change"], rows["Fridge"]["cost_change_percent"]) == (0.9, 100.0)
    # The TV used nothing in either: no change, and not new.
    assert rows["TV"]["cost_change"] == 0 and rows["TV"]["new"] is False
    assert [m["label"] for m in year["movers"]["up"]] == ["Kettle +700 %", "Fridge +100 %",
                                                           "Heater new"]  # fmt: skip
    assert year["movers"]["down"] == []


def test_an_explicit_range_is_set_against_the_days_just_before_it(household, viewer_at):
    body = changes(viewer_at, "?start=2025-06-01&end=2025-06-09")
    assert body["period"]["so_far"] is False
    assert (body["period"]["start"], body["period"]["end"]) == (
        "2025-06-01T00:00:00Z", "2025-06-10T00:00:00Z",
    )  # fmt: skip
    previous = body["previous"]
    # The 9 days before: 23-31 May, when the Kettle used 5 kWh a day (45 kWh, 4.50) and the
    # Fridge 3 (27 kWh, 2.70): 72 kWh, 7.20.
    assert (previous["first_day"], previous["last_day"]) == ("2025-05-23", "2025-05-31")
    assert previous["household"]["earlier_kwh"] == 72.0
    assert previous["household"]["earlier_cost"] == 7.2
    assert previous["household"]["cost_change"] == -0.9
    assert previous["household"]["cost_change_percent"] == -12.5
    kettle = by_name(previous)["Kettle"]
    assert (kettle["kwh_change"], kettle["kwh_change_percent"]) == (-27.0, -60.0)
    assert (kettle["cost_change"], kettle["cost_change_percent"]) == (-0.9, -20.0)
    assert [m["label"] for m in previous["movers"]["down"]] == ["Kettle -20 %", "Fridge -33 %"]


def test_without_readings_there_is_nothing_to_compare(viewer_at):
    body = changes(viewer_at)
    assert body["household"] == {"kwh": 0.0, "cost": 0.0, "co2_kg": 0.0}
    assert body["previous"]["devices"] == [] and body["previous"]["movers"] == {
        "up": [], "down": [],
    }  # fmt: skip
    assert body["previous"]["household"]["cost_change_percent"] is None


def test_it_needs_the_permission_to_view_costs(client, viewer_user, viewer_at):
    path = "/api/insights/changes"
    assert_error(client.get(path), 401, "AUTH_REQUIRED")
    assert viewer_at.get(path).status_code == 200
    Group.objects.get(name="viewer").permissions.remove(
        Permission.objects.get(codename="costs.view")
    )
    viewer_at = forced_client(type(viewer_user).objects.get(pk=viewer_user.pk))
    body = assert_error(viewer_at.get(path), 403, "INSUFFICIENT_PERMISSIONS")
    assert body["required_permission"] == "costs.view"


@pytest.mark.parametrize(
    "query",
    [
        "?start=2025-06-01",  # no end
        "?end=2025-06-01",  # no start
        "?start=2025-06-09&end=2025-06-01",  # backwards
        "?start=2025-06-01&end=2025-02-30",  # no such day
        "?start=yesterday&end=2025-06-01",
        "?start=2024-01-01&end=2025-06-01",  # more than 366 days
        "?start=0001-01-01&end=0001-01-02",  # out of the years a date may have
    ],
)
def test_bad_input_is_a_400_in_the_error_shape(viewer_at, query):
    assert_error(viewer_at.get(f"/api/insights/changes{query}"), 400, "INVALID_DATE_RANGE")


def test_a_leap_day_a_year_ago_is_the_28th_of_february(admin_user, viewer_at):
    save_plan(forced_client(admin_user), utc(2023, 1, 1), SIMPLE)
    body = changes(viewer_at, "?start=2024-02-29&end=2024-02-29", at=utc(2024, 3, 5))
    assert (body["previous"]["first_day"], body["previous"]["last_day"]) == (
        "2024-02-28", "2024-02-28",
    )  # fmt: skip
    year = body["year_ago"]
    assert (year["start"], year["end"]) == ("2023-02-28T00:00:00Z", "2023-03-01T00:00:00Z")


def test_date_times_compare_the_same_hours_before(household, viewer_at):
    body = changes(viewer_at, "?start=2025-06-01T00:00:00Z&end=2025-06-01T12:00:00Z")
    previous = body["previous"]
    assert (previous["start"], previous["end"]) == (
        "2025-05-31T12:00:00Z", "2025-06-01T00:00:00Z",
    )  # fmt: skip
    # 12 hours of 2 + 1 + 0.5 kWh a day = 1.75 kWh at 0.20 = 0.35; before, 12 hours of the
    # Kettle's 5 and the Fridge's 3 kWh a day = 4 kWh at 0.10 = 0.40.
    assert previous["household"]["kwh"] == 1.75 and previous["household"]["cost"] == 0.35
    assert previous["household"]["earlier_kwh"] == 4.0
    assert previous["household"]["earlier_cost"] == 0.4


def test_the_day_the_clocks_go_forward_is_set_against_a_whole_day(settings, admin_user, viewer_at):
    settings.TIME_ZONE = "Europe/Berlin"
    save_plan(forced_client(admin_user), utc(2024, 1, 1), {**SIMPLE, "timezone": "Europe/Berlin"})
    plug = DeviceFactory(alias="Plug")
    # 0.1 kWh every hour of 29-30 March 2025 and 30 March 2024, local (23:00Z the day before).
    write_hours(plug, utc(2025, 3, 28, 23), [0.1] * 47)  # 24 + 23 hours
    write_hours(plug, utc(2024, 3, 29, 23), [0.1] * 24)
    billing_services.price_pending()
    body = changes(viewer_at, "?start=2025-03-30&end=2025-03-30", at=utc(2025, 4, 2))
    # 30 March 2025 has 23 hours: 2.3 kWh, against the whole 24 hours of the day before and of
    # 30 March 2024 (the clocks went forward on 31 March that year): 2.4 kWh, -4.2 %.
    assert body["period"]["start"] == "2025-03-29T23:00:00Z"
    assert body["period"]["end"] == "2025-03-30T22:00:00Z"
    for key in ("previous", "year_ago"):
        household = body[key]["household"]
        assert (household["kwh"], household["earlier_kwh"]) == (2.3, 2.4)
        assert household["kwh_change_percent"] == -4.2 and household["cost_change"] == -0.01
    assert body["previous"]["start"] == "2025-03-28T23:00:00Z"
    assert body["year_ago"]["start"] == "2024-03-29T23:00:00Z"
