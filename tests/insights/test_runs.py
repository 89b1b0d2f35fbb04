"""Appliance runs: what one run costs, each figure worked out by hand from constructed
one-minute readings (a time-of-use edge, a plan change mid-run, the autumn clock change,
the last 10 runs' averages and the cheapest hour), the API's role rules and errors."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from insights import services
from insights.models import ApplianceRun, ApplianceSettings
from tests.billing.factories import forced_client
from tests.factories import DeviceFactory
from tests.insights.support import minutes, save_plan, utc, watch
from tests.support import assert_error

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)
BERLIN = ZoneInfo("Europe/Berlin")
SIMPLE = {"rate_type": "simple", "rate_per_kwh": 0.10, "timezone": "UTC"}
# 0.10 a kWh, 0.30 from 16:00 to 21:00 every day (UTC).
PEAK = {
    "rate_type": "time_of_use", "timezone": "UTC", "default_rate": 0.10,
    "time_of_use_rates": [{"start_hour": 16, "end_hour": 21, "rate": 0.30,
                           "days_of_week": [0, 1, 2, 3, 4, 5, 6]}],
}  # fmt: skip


def runs_of(client, device, **query) -> dict:
    response = client.get("/api/insights/runs", {"device_id": device.pk, **query})
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def admin_at(admin_user):
    return forced_client(admin_user)


@pytest.fixture
def viewer_at(viewer_user):
    return forced_client(viewer_user)


@pytest.fixture
def dishwasher(db):
    device = DeviceFactory(alias="Dishwasher")
    watch(device, kind="dishwasher", threshold_w=10, min_run_minutes=30, max_gap_minutes=20)
    return device


def test_a_run_across_a_time_of_use_edge_is_priced_in_each_piece(admin_at, viewer_at, dishwasher):
    save_plan(admin_at, utc(2025, 1, 1), PEAK)
    # 1,200 W from 15:30 to 16:30, seen off (0 W) at 16:31: 60 minutes of 0.02 kWh.
    minutes(dishwasher, utc(2025, 6, 10, 15, 30), [1200] * 61 + [0] * 30)
    with time_machine.travel(utc(2025, 6, 10, 17, 30), tick=False):
        assert services.appliance_runs_detect() == 1
        body = runs_of(viewer_at, dishwasher)
    (run,) = body["runs"]
    # Its 1.2 kWh: 0.6 before 16:00 at 0.10 (0.06) and 0.6 after at 0.30 (0.18) = 0.24;
    # one average price over the run would have said 0.12 or 0.36.
    assert run == {
        "start": "2025-06-10T15:30:00Z", "end": "2025-06-10T16:31:00Z",
        "duration_minutes": 61.0, "kwh": 1.2, "cost": 0.24, "currency": "USD",
        "co2_kg": 0.57,  # 1.2 kWh at the default grid intensity, 475 g/kWh
    }  # fmt: skip
    assert body["summary"]["runs"] == 1
    assert (body["summary"]["avg_kwh"], body["summary"]["avg_cost"]) == (1.2, 0.24)
    assert body["summary"]["avg_co2_kg"] == 0.57


def test_a_runs_carbon_follows_the_grid_intensity_minute_by_minute(
    settings, admin_at, viewer_at, dishwasher
):
    settings.TIME_ZONE = "Europe/Berlin"
    save_plan(admin_at, utc(2025, 1, 1), PEAK)
    # 200 g/kWh by default, 600 from 18:00 to 20:00 on the household's clock (summer time:
    # 16:00 UTC). The run of 1.2 kWh from 15:30 to 16:30 UTC (17:30-18:30 local): 0.6 kWh
    # at 200 g (120 g) and 0.6 kWh at 600 g (360 g) = 0.48 kg.
    with time_machine.travel(utc(2025, 1, 1, 1), tick=False):  # the clock after save_plan's
        put = admin_at.put("/api/grid-intensity", {"default_g_per_kwh": 200, "overrides": [
            {"start_hour": 18, "end_hour": 20, "g_per_kwh": 600}]}, format="json")  # fmt: skip
    assert put.status_code == 200, put.json()
    minutes(dishwasher, utc(2025, 6, 10, 15, 30), [1200] * 61 + [0] * 30)
    with time_machine.travel(utc(2025, 6, 10, 17, 30), tick=False):
        services.appliance_runs_detect()
        body = runs_of(viewer_at, dishwasher)
    assert body["runs"][0]["co2_kg"] == 0.48
    assert body["summary"]["avg_co2_kg"] == 0.48


def test_a_plan_change_mid_run_prices_each_part_with_its_plan(admin_at, viewer_at, dishwasher):
    save_plan(admin_at, utc(2025, 1, 1), SIMPLE)
    save_plan(
        admin_at, utc(2025, 6, 10, 16, 0), {**SIMPLE, "rate_per_kwh": 0.20, "tax": {"rate": 10}}
    )
    minutes(dishwasher, utc(2025, 6, 10, 15, 30), [1200] * 61 + [0] * 30)
    with time_machine.travel(utc(2025, 6, 10, 17, 30), tick=False):
        services.appliance_runs_detect()
        (run,) = runs_of(viewer_at, dishwasher)["runs"]
    # 0.6 kWh at 0.10 (0.06) before 16:00; 0.6 kWh at 0.20 plus 10 % tax (0.132) after.
    assert run["cost"] == 0.19  # 0.192
    assert run["kwh"] == 1.2


def test_a_run_through_the_autumn_clock_change_is_priced_on_the_wall_clock(
    settings, admin_at, viewer_at
):
    settings.TIME_ZONE = "Europe/Berlin"
    save_plan(admin_at, utc(2025, 1, 1), {
        "rate_type": "time_of_use", "timezone": "Europe/Berlin", "default_rate": 0.20,
        "time_of_use_rates": [{"start_hour": 2, "end_hour": 4, "rate": 0.05,
                               "days_of_week": [0, 1, 2, 3, 4, 5, 6]}],
    })  # fmt: skip
    heater = DeviceFactory(alias="Heater")
    watch(heater, kind="custom", threshold_w=500, min_run_minutes=10, max_gap_minutes=5)
    # 1 kW from 23:00 UTC on 25 October (01:00 summer time) for four real hours to 03:00
    # UTC (04:00 winter time), seen off at 03:01. 02:00-03:00 is lived twice that night.
    minutes(heater, utc(2025, 10, 25, 23, 0), [1000] * 241 + [0] * 20)
    with time_machine.travel(utc(2025, 10, 26, 12, 0), tick=False):
        services.appliance_runs_detect()
        body = runs_of(viewer_at, heater)
    (run,) = body["runs"]
    # 4 kWh: 01:00-02:00 summer time at 0.20, then 02:00-03:00 summer, 02:00-03:00 winter
    # and 03:00-04:00 winter, all in the cheap band: 0.20 + 3 x 0.05 = 0.35.
    # 241 minutes on the clock that measures time (not the wall clock's 181).
    assert (run["duration_minutes"], run["kwh"], run["cost"]) == (241.0, 4.0, 0.35)


def test_the_cheapest_hour_of_tomorrow_counts_the_hour_lived_twice(settings, admin_at, viewer_at):
    settings.TIME_ZONE = "Europe/Berlin"
    save_plan(admin_at, utc(2025, 1, 1), {
        "rate_type": "time_of_use", "timezone": "Europe/Berlin", "default_rate": 0.20,
        "time_of_use_rates": [{"start_hour": 2, "end_hour": 4, "rate": 0.05,
                               "days_of_week": [0, 1, 2, 3, 4, 5, 6]}],
    })  # fmt: skip
    kettle = DeviceFactory(alias="Kettle")
    watch(kettle, kind="kettle", threshold_w=1000, min_run_minutes=1, max_gap_minutes=2)
    # Two runs on 24 October: 3 minutes at 2 kW after the first reading (0.1 kWh; 4 minutes
    # to the reading that sees it off) and 6 minutes (0.2 kWh; 7 minutes).
    minutes(kettle, utc(2025, 10, 24, 6, 0), [2000] * 4 + [0] * 10)
    minutes(kettle, utc(2025, 10, 24, 8, 0), [2000] * 7 + [0] * 10)
    with time_machine.travel(datetime(2025, 10, 25, 9, 0, tzinfo=BERLIN), tick=False):
        services.appliance_runs_detect()
        summary = runs_of(viewer_at, kettle)["summary"]
    # The typical run: the minute-by-minute mean, 0.15 kWh over 7 minutes: 1/30 kWh in
    # each of its first 3 minutes, 1/60 in the next 3 (only the longer run), 0 in the last.
    assert (summary["runs"], summary["avg_kwh"]) == (2, 0.15)
    # 0.1 kWh at 0.20 = 0.02 and 0.2 at 0.20 = 0.04 (both at 06:00 and 08:00 UTC, 0.20).
    assert summary["avg_cost"] == 0.03
    cheapest = summary["cheapest"]
    assert cheapest["day"] == "2025-10-26"
    hours = [h["hour"] for h in cheapest["hours"]]
    assert len(hours) == 25 and hours.count("02:00") == 2 and hours[:4] == [
        "00:00", "01:00", "02:00", "02:00"
    ]  # fmt: skip
    # 0.15 kWh at 0.05 = 0.0075 at 02:00 (twice) and 03:00; 0.03 elsewhere.
    assert (cheapest["hour"], cheapest["same_every_hour"]) == ("02:00", False)
    assert [h["cost"] for h in cheapest["hours"]][1:6] == [0.03, 0.01, 0.01, 0.01, 0.03]
    assert cheapest["dearest_hour"] == "00:00"


def test_the_summary_averages_the_last_ten_runs_and_a_flat_plan_costs_the_same_any_hour(
    admin_at, viewer_at
):
    save_plan(admin_at, utc(2025, 1, 1), SIMPLE)
    kettle = DeviceFactory(alias="Kettle")
    watch(kettle, kind="kettle", threshold_w=1000, min_run_minutes=1, max_gap_minutes=2)
    # Twelve daily runs of 1..12 minutes at 3 kW (0.05 kWh a minute), each seen off a
    # minute later: runs of 2..13 minutes on the clock.
    for n in range(1, 13):
        minutes(kettle, utc(2025, 6, n, 7, 0), [3000] * (n + 1) + [0] * 5)
    with time_machine.travel(utc(2025, 6, 13, 12, 0), tick=False):
        services.appliance_runs_detect()
        body = runs_of(viewer_at, kettle, limit=3)
    assert [r["duration_minutes"] for r in body["runs"]] == [13.0, 12.0, 11.0]
    # The last ten: 3..12 minutes at 3 kW, mean 7.5 minutes = 0.375 kWh, at 0.10 = 0.0375
    # (0.04 to the cent, half to even).
    summary = body["summary"]
    assert (summary["runs"], summary["avg_kwh"], summary["avg_cost"]) == (10, 0.375, 0.04)
    assert summary["cheapest"]["same_every_hour"] is True
    assert len(summary["cheapest"]["hours"]) == 24


def test_a_run_still_going_is_stored_once_it_is_over(viewer_at, dishwasher):
    minutes(dishwasher, utc(2025, 6, 10, 10, 0), [800] * 40 + [2] * 5)
    with time_machine.travel(utc(2025, 6, 10, 10, 45), tick=False):
        assert services.appliance_runs_detect() == 0  # stopped 5 minutes ago: may resume
    # It resumes after a 10-minute pause (shorter than 20): the same run.
    minutes(dishwasher, utc(2025, 6, 10, 10, 50), [800] * 20 + [1] * 30)
    with time_machine.travel(utc(2025, 6, 10, 11, 40), tick=False):
        assert services.appliance_runs_detect() == 1
        assert services.appliance_runs_detect() == 0  # nothing found twice
    run = ApplianceRun.objects.get()
    # 10:00 to 11:10 (the first 1 W reading); 39 + 19 minutes at 800 W and the pause's
    # minutes at 2 W (5 readings) and 800 W (the 10:50 reading covers 10:44-10:50 in the
    # data: its delta is one minute's 800 W): (58 x 800 + 5 x 2 + 800) / 60,000 + the 1 W.
    assert (run.start, run.end) == (utc(2025, 6, 10, 10, 0), utc(2025, 6, 10, 11, 10))
    assert run.kwh == pytest.approx((58 * 800 + 5 * 2 + 800 + 1) / 60_000)


def test_changing_the_settings_finds_the_runs_again(admin_at, dishwasher):
    minutes(dishwasher, utc(2025, 6, 10, 10, 0), [800] * 40 + [2] * 30)
    with time_machine.travel(utc(2025, 6, 10, 11, 30), tick=False):
        services.appliance_runs_detect()
        assert ApplianceRun.objects.count() == 1
        answer = admin_at.put(
            f"/api/insights/appliances/{dishwasher.pk}", {"min_run_minutes": 45}, format="json"
        )
        assert answer.status_code == 200, answer.json()
        assert answer.json()["settings"]["min_run_minutes"] == 45
        assert not ApplianceRun.objects.exists()  # forgotten, looked for again
        services.appliance_runs_detect()
    assert not ApplianceRun.objects.exists()  # 40 minutes is not a 45-minute run


def test_a_kind_brings_its_preset_and_given_figures_override_it(admin_at, viewer_at):
    washer = DeviceFactory(alias="Washer")
    answer = admin_at.put(
        f"/api/insights/appliances/{washer.host}", {"kind": "washer", "threshold_w": 8},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 200, answer.json()
    assert answer.json()["settings"] | {"detected_until": None} == {
        "kind": "washer", "threshold_w": 8.0, "min_run_minutes": 20, "max_gap_minutes": 10,
        "detected_until": None,
    }  # fmt: skip
    answer = admin_at.put(f"/api/insights/appliances/{washer.pk}", {"kind": "kettle"})
    assert answer.json()["settings"]["threshold_w"] == 1000.0
    body = viewer_at.get(f"/api/insights/appliances/{washer.pk}").json()
    assert body["presets"]["dryer"] == {
        "threshold_w": 100.0, "min_run_minutes": 15, "max_gap_minutes": 5
    }  # fmt: skip
    assert admin_at.delete(f"/api/insights/appliances/{washer.pk}").status_code == 204
    assert viewer_at.get(f"/api/insights/appliances/{washer.pk}").json()["settings"] is None


def test_saving_settings_queues_the_detection_after_commit(
    admin_at, dishwasher, django_capture_on_commit_callbacks
):
    minutes(dishwasher, utc(2025, 6, 10, 10, 0), [800] * 40 + [2] * 30)
    with (
        time_machine.travel(utc(2025, 6, 10, 11, 30), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        admin_at.put(f"/api/insights/appliances/{dishwasher.pk}", {"threshold_w": 5})
    assert ApplianceRun.objects.count() == 1  # the worker's task ran (eagerly here)


def test_who_may_read_and_change_runs(api_client, viewer_at, dishwasher, operator_user):
    anonymous = api_client.get("/api/insights/runs", {"device_id": dishwasher.pk})
    assert_error(anonymous, 401, "AUTH_REQUIRED")
    assert runs_of(viewer_at, dishwasher)["device"]["device_name"] == "Dishwasher"
    url = f"/api/insights/appliances/{dishwasher.pk}"
    assert viewer_at.get(url).status_code == 200
    refused = assert_error(viewer_at.put(url, {"threshold_w": 5}), 403, "INSUFFICIENT_PERMISSIONS")
    assert refused["required_permission"] == "devices.edit"
    assert forced_client(operator_user).put(url, {"threshold_w": 5}).status_code == 200


def test_bad_parameters_and_unknown_devices_answer_in_the_error_shape(admin_at, dishwasher):
    assert_error(admin_at.get("/api/insights/runs"), 400, "VALIDATION_ERROR")
    assert_error(
        admin_at.get("/api/insights/runs", {"device_id": dishwasher.pk, "limit": 0}),
        400, "VALIDATION_ERROR",
    )  # fmt: skip
    assert_error(admin_at.get("/api/insights/runs", {"device_id": "127.0.0.254"}), 404,
                 "DEVICE_NOT_FOUND")  # fmt: skip
    url = f"/api/insights/appliances/{dishwasher.pk}"
    assert_error(admin_at.put(url, {"threshold_w": -5}), 400, "VALIDATION_ERROR")
    assert_error(admin_at.put(url, {"kind": "toaster"}), 400, "VALIDATION_ERROR")
    assert_error(admin_at.put("/api/insights/appliances/9999", {"kind": "washer"}), 404,
                 "DEVICE_NOT_FOUND")  # fmt: skip


def test_a_device_without_settings_has_no_runs(viewer_at):
    body = runs_of(viewer_at, DeviceFactory())
    assert body["settings"] is None and body["runs"] == []
    assert body["summary"] == {"runs": 0, "avg_kwh": None, "avg_cost": None, "avg_co2_kg": None,
                               "cheapest": None}  # fmt: skip


def test_the_admin_edits_settings_through_the_same_service(admin_user, dishwasher):
    from django.test import Client

    console = Client()
    console.force_login(admin_user)
    minutes(dishwasher, utc(2025, 6, 10, 10, 0), [800] * 40 + [2] * 30)
    with time_machine.travel(utc(2025, 6, 10, 11, 30), tick=False):
        services.appliance_runs_detect()
        settings = ApplianceSettings.objects.get(device=dishwasher)
        answer = console.post(
            f"/admin/insights/appliancesettings/{settings.pk}/change/",
            {"device": dishwasher.pk, "kind": "dishwasher", "threshold_w": 10,
             "min_run_minutes": 45, "max_gap_minutes": 20},
        )  # fmt: skip
    assert answer.status_code == 302, answer.content[:2000]
    settings.refresh_from_db()
    assert settings.min_run_minutes == 45 and settings.detected_until is None
    assert not ApplianceRun.objects.exists()  # forgotten, to be found again with 45 minutes
