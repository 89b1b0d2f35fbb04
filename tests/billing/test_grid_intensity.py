"""The grid's carbon intensity: applied to each stored hour like a price, by its local hour
and month (DST-correct), re-applied to history when it changes, edited by whoever edits rates."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.test import Client

from billing import services
from billing.models import GridIntensity, HourlyCost, RepriceRequest
from tests.billing.factories import devices, forced_client, utc, write_hours
from tests.support import assert_error

pytestmark = pytest.mark.django_db

# Night hour 02:00-03:00 at 100 g, March at 300 g, else 400 g. The first match wins, so a
# March night hour is 100 g.
INTENSITY = {
    "default_g_per_kwh": 400,
    "overrides": [
        {"start_hour": 2, "end_hour": 3, "g_per_kwh": 100, "label": "Night"},
        {"start_month": 3, "end_month": 3, "g_per_kwh": 300},
    ],
}
BERLIN_PLAN = {
    "rate_type": "simple",
    "timezone": "Europe/Berlin",
    "rate_structure": {"rate_per_kwh": 0.10},
}


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def operator_at(operator_user):
    return forced_client(operator_user)


def save_plan(client, at, plan):
    with time_machine.travel(at, tick=False):
        assert client.post("/api/rates", plan, format="json").status_code == 201


def hours_of_1_kwh(device, start, end):
    count = int((end - start).total_seconds() // 3600)
    return write_hours(device, start, [1.0] * count, notify=False)


def costs(client, first, last) -> dict:
    response = client.get(f"/api/costs?start_date={first}&end_date={last}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_each_hour_is_read_at_its_local_hour_and_month_through_the_spring_change(
    berlin, operator_at
):
    save_plan(operator_at, utc(2024, 1, 1), BERLIN_PLAN)
    assert operator_at.put("/api/grid-intensity", INTENSITY, format="json").status_code == 200
    (plug,) = devices(1)
    # 1 kWh every hour of the Berlin days 30 March - 1 April 2024 (23:00Z on the 29th, CET,
    # to 22:00Z on 1 April, CEST).
    hours_of_1_kwh(plug, utc(2024, 3, 29, 23), utc(2024, 4, 1, 22))
    services.price_pending()
    body = costs(operator_at, "2024-03-30", "2024-04-01")
    # 30 March (24 h, March): local 02:00 at 100 g, 23 hours at 300 g = 7,000 g.
    # 31 March (23 h: 02:00 is skipped, so no night hour): 23 x 300 g = 6,900 g.
    # 1 April (24 h, April): 100 g + 23 x 400 g = 9,300 g.
    assert [d["co2_kg"] for d in body["daily_breakdown"]] == [7.0, 6.9, 9.3]
    assert body["co2_kg"] == 23.2 and body["devices"][0]["co2_kg"] == 23.2
    assert body["total_kwh"] == 71.0 and body["total_cost"] == 7.1  # money as before
    # The hour 01:00Z on 30 March is 02:00 CET: the night hour; on 31 March it is 03:00 CEST.
    grams = dict(HourlyCost.objects.values_list("hour", "co2_g"))
    assert grams[utc(2024, 3, 30, 1)] == 100.0 and grams[utc(2024, 3, 31, 1)] == 300.0
    # The device's history carries them beside each point's cost: hourly, and 6-hour
    # buckets 00:00-06:00Z = local 01:00-07:00 CET on 30 March: 5 x 300 g + 100 g = 1.6 kg.
    url = f"/api/devices/{plug.pk}/history?start_time=2024-03-30T00:00:00Z&end_time=2024-03-30T06:00:00Z"
    hourly = operator_at.get(f"{url}&interval=1h").json()
    assert [p["co2_kg"] for p in hourly] == [0.3, 0.1, 0.3, 0.3, 0.3, 0.3]
    assert [p["cost"] for p in hourly] == [0.1] * 6
    (six,) = operator_at.get(f"{url}&interval=6h").json()
    assert six["co2_kg"] == pytest.approx(1.6) and six["energy_kwh"] == 6.0


def test_the_repeated_hour_of_the_autumn_change_is_read_twice_at_its_local_hour(
    berlin, operator_at
):
    save_plan(operator_at, utc(2024, 1, 1), BERLIN_PLAN)
    operator_at.put("/api/grid-intensity", INTENSITY, format="json")
    (plug,) = devices(1)
    # Berlin's 27 October 2024 has 25 hours: 22:00Z on the 26th to 23:00Z on the 27th.
    hours_of_1_kwh(plug, utc(2024, 10, 26, 22), utc(2024, 10, 27, 23))
    services.price_pending()
    body = costs(operator_at, "2024-10-27", "2024-10-27")
    # 00:00Z is 02:00 CEST and 01:00Z is 02:00 CET: two night hours at 100 g, and 23 October
    # hours at 400 g: 200 + 9,200 = 9,400 g over 25 kWh.
    assert body["total_kwh"] == 25.0 and body["co2_kg"] == 9.4


def test_a_new_intensity_is_applied_to_history_and_a_plan_change_moves_only_money(
    operator_at,
):
    save_plan(operator_at, utc(2024, 5, 1), {"rate_type": "simple", "timezone": "UTC",
                                             "rate_structure": {"rate_per_kwh": 0.10}})  # fmt: skip
    (plug,) = devices(1)
    hours_of_1_kwh(plug, utc(2024, 5, 1), utc(2024, 5, 11))  # 10 days x 24 kWh
    save_plan(operator_at, utc(2024, 5, 6), {"rate_type": "simple", "timezone": "UTC",
                                             "rate_structure": {"rate_per_kwh": 0.20}})  # fmt: skip
    services.price_pending()
    body = costs(operator_at, "2024-05-01", "2024-05-10")
    # Until an admin sets one, the default 475 g: 240 kWh x 475 g = 114 kg, whatever the
    # plan; money: 120 kWh x 0.10 + 120 kWh x 0.20 = 36.00.
    assert body["co2_kg"] == 114.0 and body["total_cost"] == 36.0
    response = operator_at.put(
        "/api/grid-intensity",
        {
            "default_g_per_kwh": 200,
            "overrides": [{"start_hour": 18, "end_hour": 22, "g_per_kwh": 500}],
        },
        format="json",
    )
    assert response.status_code == 200 and RepriceRequest.objects.exists()
    services.price_pending()
    body = costs(operator_at, "2024-05-01", "2024-05-10")
    # Each day: 4 evening hours at 500 g + 20 at 200 g = 6 kg; 10 days = 60 kg. Money stays.
    assert body["co2_kg"] == 60.0 and body["total_cost"] == 36.0
    assert {d["co2_kg"] for d in body["daily_breakdown"]} == {6.0}


def test_everyone_who_sees_rates_reads_it_and_only_rate_editors_change_it(
    api_client, viewer_api, operator_api
):
    assert_error(api_client.get("/api/grid-intensity"), 401, "AUTH_REQUIRED")
    body = viewer_api.get("/api/grid-intensity").json()
    assert body["is_default"] is True and body["default_g_per_kwh"] == 475.0
    assert body["overrides"] == [] and body["table"][0][0] == 475.0
    forbidden = viewer_api.put("/api/grid-intensity", INTENSITY, format="json")
    assert (
        assert_error(forbidden, 403, "INSUFFICIENT_PERMISSIONS")["required_permission"]
        == "rates.edit"
    )
    body = operator_api.put("/api/grid-intensity", INTENSITY, format="json").json()
    assert body["is_default"] is False and len(body["table"]) == 12
    # The table: March's night hour 100 (first match), March's other hours 300, May's 400.
    assert body["table"][2][2] == 100.0 and body["table"][2][3] == 300.0
    assert body["table"][4][2] == 100.0 and body["table"][4][12] == 400.0
    assert viewer_api.get("/api/grid-intensity").json()["overrides"][0]["label"] == "Night"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"default_g_per_kwh": -1}, "default_g_per_kwh"),
        ({"default_g_per_kwh": "lots"}, "default_g_per_kwh"),
        ({"default_g_per_kwh": 300, "overrides": {"start_hour": 1}}, "overrides"),
        ({"default_g_per_kwh": 300, "overrides": [{"start_hour": 1, "g_per_kwh": 5}]},
         "overrides[0].end_hour"),
        ({"default_g_per_kwh": 300, "overrides": [{"start_hour": 1, "end_hour": 25, "g_per_kwh": 5}]},
         "overrides[0].end_hour"),
        ({"default_g_per_kwh": 300, "overrides": [{"start_month": 0, "end_month": 2, "g_per_kwh": 5}]},
         "overrides[0].start_month"),
        ({"default_g_per_kwh": 300, "overrides": [{"g_per_kwh": 5}]}, "overrides[0]"),
        ({"default_g_per_kwh": 300, "overrides": [{"start_hour": 1, "end_hour": 2}]},
         "overrides[0].g_per_kwh"),
        ([1, 2], "intensity"),
        ({"overrides": []}, "default_g_per_kwh"),
        ({"default_g_per_kwh": 300, "overrides": [{"start_hour": "9pm", "end_hour": 2,
                                                   "g_per_kwh": 5}]}, "overrides[0].start_hour"),
    ],
)  # fmt: skip
def test_a_bad_intensity_is_refused_naming_its_field(operator_api, body, field):
    response = operator_api.put("/api/grid-intensity", body, format="json")
    error = assert_error(response, 400, "INVALID_GRID_INTENSITY")
    assert error["field"] == field and not RepriceRequest.objects.exists()
    assert operator_api.get("/api/grid-intensity").json()["is_default"] is True


def test_a_number_too_large_for_a_float_is_a_400_not_a_500(operator_api):
    body = '{"default_g_per_kwh": 300, "overrides": [{"start_hour": 1e400, "end_hour": 2, "g_per_kwh": 5}]}'
    response = operator_api.put("/api/grid-intensity", body, content_type="application/json")
    assert (
        assert_error(response, 400, "INVALID_GRID_INTENSITY")["field"] == "overrides[0].start_hour"
    )


def test_an_admin_edits_it_in_the_admin_with_the_same_checks(admin_user, password):
    client = Client()
    client.login(username=admin_user.username, password=password)
    bad = {"default_g_per_kwh": "300", "overrides": json.dumps([{"start_hour": 3, "g_per_kwh": 1}])}
    answer = client.post("/admin/billing/gridintensity/add/", bad)
    assert answer.status_code == 200  # the form again, with the field named
    assert "overrides[0].end_hour: give both start_hour and end_hour" in answer.content.decode()
    good = {**bad, "overrides": json.dumps([{"start_month": 11, "end_month": 2, "g_per_kwh": 450}])}
    assert client.post("/admin/billing/gridintensity/add/", good).status_code == 302
    row = GridIntensity.objects.get()
    assert row.updated_by == admin_user and row.overrides[0]["g_per_kwh"] == 450.0
    assert RepriceRequest.objects.exists()  # history is worked out again
    # December is in the wrapped November-February range, March is not.
    table = services.validate_grid_intensity(
        {"default_g_per_kwh": 300, "overrides": row.overrides}
    ).table
    assert (table[11][0], table[0][23], table[2][0]) == (450.0, 450.0, 300.0)
