"""GET /api/insights/standby: the always-on power of the last 7 nights and its yearly cost,
each figure worked out by hand from constructed hourly rollups."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from insights.standby import night_hours
from tests.billing.factories import forced_client
from tests.factories import DeviceFactory
from tests.insights.support import HOUR, power_hours, save_plan, utc
from tests.support import assert_error

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 6, 10, 12, 0, tzinfo=BERLIN)  # a Tuesday


@pytest.fixture(autouse=True)
def _berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def admin_at(admin_user):
    return forced_client(admin_user)


@pytest.fixture
def viewer_api(viewer_user):
    return forced_client(viewer_user)  # tokens don't survive time travel


def nightly(first_night, nights: int) -> list[datetime]:
    """The UTC hours of local 00:00-04:59 of these nights (summer time: UTC+2)."""
    return [
        datetime.combine(first_night + timedelta(days=n), datetime.min.time(), BERLIN) + HOUR * h
        for n in range(nights)
        for h in range(5)
    ]


def standby(client, query: str = "") -> dict:
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/api/insights/standby{query}")
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def tv_and_lamp():
    tv = DeviceFactory(alias="TV corner")
    lamp = DeviceFactory(alias="Lamp")
    few = DeviceFactory(alias="Rarely on")
    first = NOW.date() - timedelta(days=6)  # nights of 4 to 10 June
    hours = [h for h in nightly(first, 7) if h.astimezone(BERLIN).day != 7]  # 7 June: no readings
    assert len(hours) == 30
    tv_watts = {h: 14.0 for h in hours}
    tv_watts[hours[0]] = 0.0  # unplugged for an hour
    tv_watts[hours[10]] = tv_watts[hours[11]] = 80.0  # a late film
    for day in range(4, 11):  # the evenings: far above standby, never read
        tv_watts[datetime(2025, 6, day, 20, tzinfo=BERLIN)] = 120.0
    power_hours(tv, tv_watts)
    power_hours(lamp, {h: 3.0 for h in hours})
    power_hours(few, {h: 50.0 for h in hours[:2]})  # two night hours: too few to tell
    return tv, lamp


def test_the_low_percentile_of_night_hours_ignores_gaps_spikes_and_an_unplugged_hour(
    viewer_api, admin_at, tv_and_lamp
):
    save_plan(admin_at, utc(2025, 1, 1), {"rate_type": "simple", "rate_per_kwh": 0.20,
                                          "timezone": "Europe/Berlin", "currency": "EUR"})  # fmt: skip
    body = standby(viewer_api)
    # 30 night hours (the night of 7 June has none): sorted 0, 14 x 27, 80, 80; the 10th
    # percentile by nearest rank is the ceil(3.0) = 3rd lowest: 14 W.
    assert [(d["device_name"], d["standby_w"], d["night_hours"]) for d in body["devices"]] == [
        ("TV corner", 14.0, 30), ("Lamp", 3.0, 30)
    ]  # fmt: skip
    # A year from 10 June: 8,760 hours (one hour gained in October, one lost in March).
    # TV: 14 W x 8,760 h = 122.64 kWh x 0.20 = 24.528; lamp: 26.28 kWh -> 5.256;
    # household 17 W: 148.92 kWh -> 29.784.
    tv, lamp = body["devices"]
    assert (tv["yearly_kwh"], tv["yearly_cost"]) == (122.6, 24.53)
    assert (lamp["yearly_kwh"], lamp["yearly_cost"]) == (26.3, 5.26)
    assert body["household"] == {
        "standby_w": 17.0, "yearly_kwh": 148.9, "yearly_cost": 29.78, "yearly_co2_kg": 70.7,
    }  # fmt: skip
    # No grid intensity saved: 475 g/kWh: 122.64 kWh -> 58.254 kg, 26.28 -> 12.483 kg,
    # 148.92 -> 70.737 kg.
    assert (tv["yearly_co2_kg"], lamp["yearly_co2_kg"]) == (58.3, 12.5)
    assert body["currency"] == "EUR" and body["timezone"] == "Europe/Berlin"
    assert (body["first_night"], body["last_night"]) == ("2025-06-04", "2025-06-10")
    assert (body["start"], body["end"]) == ("2025-06-03T22:00:00Z", "2025-06-10T03:00:00Z")
    assert (body["percentile"], body["night_hours"], body["nights"]) == (10, "00:00-05:00", 7)


def test_time_of_use_hours_are_priced_at_their_own_price(viewer_api, admin_at, tv_and_lamp):
    save_plan(admin_at, utc(2025, 1, 1), {
        "rate_type": "time_of_use", "timezone": "Europe/Berlin", "default_rate": 0.10,
        "time_of_use_rates": [{"start_hour": 16, "end_hour": 21, "rate": 0.30,
                               "days_of_week": [0, 1, 2, 3, 4]}],
    })  # fmt: skip
    tv = standby(viewer_api)["devices"][0]
    # 10 June 2025 to 10 June 2026: 52 weeks and a Tuesday, so 261 weekdays: 1,305 peak
    # hours at 0.30 and 7,455 other hours at 0.10. 0.014 kW x (391.5 + 745.5) = 15.918.
    # (A flat average of the 24 hourly prices, 0.1417 on weekdays, would say 17.4.)
    assert tv["yearly_cost"] == 15.92


def test_fewer_nights_read_fewer_hours(viewer_api, tv_and_lamp):
    body = standby(viewer_api, "?nights=2")
    tv = body["devices"][0]
    # Nights of 9 and 10 June: 10 hours, all at 14 W.
    assert (tv["standby_w"], tv["night_hours"]) == (14.0, 10)
    assert body["first_night"] == "2025-06-09"


def test_nights_follow_the_local_clock_across_daylight_saving_changes():
    spring = night_hours(datetime(2025, 3, 30, 12, tzinfo=BERLIN), 1, BERLIN)
    assert spring == [
        utc(2025, 3, 29, 23),
        utc(2025, 3, 30, 0),
        utc(2025, 3, 30, 1),
        utc(2025, 3, 30, 2),
    ]  # fmt: skip  (00, 01, 03, 04 local: 02:00 never was)
    autumn = night_hours(datetime(2025, 10, 26, 12, tzinfo=BERLIN), 1, BERLIN)
    assert autumn == [utc(2025, 10, 25, 22) + HOUR * n for n in range(6)]  # 02:00 twice
    early = night_hours(datetime(2025, 10, 27, 4, 30, tzinfo=BERLIN), 1, BERLIN)
    assert early == autumn  # at 04:30 tonight is not over yet: the last night is the one before


def test_a_dst_night_is_read_in_local_hours(viewer_api):
    plug = DeviceFactory(alias="Router")
    # The night of 30 March 2025: 00:00 and 01:00 CET (23:00Z, 00:00Z), 03:00 and 04:00
    # CEST (01:00Z, 02:00Z); 03:00Z is already 05:00 local and not a night hour.
    night = [utc(2025, 3, 29, 23), utc(2025, 3, 30, 0), utc(2025, 3, 30, 1), utc(2025, 3, 30, 2)]
    power_hours(plug, {**{h: 6.0 for h in night}, utc(2025, 3, 30, 3): 1.0})
    with time_machine.travel(datetime(2025, 3, 30, 12, tzinfo=BERLIN), tick=False):
        body = viewer_api.get("/api/insights/standby?nights=1").json()
    assert [(d["standby_w"], d["night_hours"]) for d in body["devices"]] == [(6.0, 4)]


def test_no_readings_means_no_devices_and_nothing_to_pay(viewer_api):
    body = standby(viewer_api)
    assert body["devices"] == []
    assert body["household"] == {
        "standby_w": 0.0, "yearly_kwh": 0.0, "yearly_cost": 0.0, "yearly_co2_kg": 0.0,
    }  # fmt: skip


@pytest.mark.parametrize("query", ["?nights=0", "?nights=29", "?nights=seven"])
def test_bad_input_is_a_400_in_the_error_shape(viewer_api, query):
    assert_error(viewer_api.get(f"/api/insights/standby{query}"), 400, "VALIDATION_ERROR")
