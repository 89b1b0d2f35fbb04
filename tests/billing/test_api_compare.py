"""/api/costs/compare: the same consumption priced under each saved plan, or a proposed one."""

from __future__ import annotations

import pytest

from billing import services
from tests.billing.factories import devices, utc, write_hours

pytestmark = pytest.mark.django_db

CHEAP = {"rate_type": "simple", "timezone": "UTC", "rate_per_kwh": 0.10, "name": "Cheap"}
DEAR = {"rate_type": "simple", "timezone": "UTC", "rate_per_kwh": 0.20, "name": "Dear"}
URL = "/api/costs/compare?start_date=2024-03-01&end_date=2024-03-02"


@pytest.fixture
def usage():
    """1 kWh every hour of 1-2 March (48 kWh), 2 kWh on 3 March (outside the range)."""
    services.rate_plan_save(CHEAP, now=utc(2024, 2, 1))
    services.rate_plan_save(DEAR, now=utc(2024, 3, 1, 12))  # in force now
    (plug,) = devices(1)
    write_hours(plug, utc(2024, 3, 1), [1.0] * 48 + [2.0] * 24)


def test_it_prices_the_range_under_each_saved_plan_cheapest_first(viewer_api, usage):
    body = viewer_api.get(URL).json()
    rows = {row["name"]: row for row in body["plans"]}
    assert rows["Cheap"]["total_cost"] == 4.8 and rows["Dear"]["total_cost"] == 9.6
    assert rows["Dear"]["is_current"] and not rows["Cheap"]["is_current"]
    assert rows["Cheap"]["difference"] == -4.8
    assert body["plans"][0]["name"] == "Cheap" and body["cheapest"] == body["plans"][0]["plan_id"]
    assert body["total_kwh"] == 48.0


def test_it_also_prices_a_plan_sent_in_the_request(viewer_api, usage):
    night = {
        "rate_type": "time_of_use", "timezone": "UTC", "monthly_service_charge": 3,
        "time_of_use_rates": [
            {"start_hour": 0, "end_hour": 12, "rate": 0.05},
            {"start_hour": 12, "end_hour": 24, "rate": 0.15},
        ],
    }  # fmt: skip
    body = viewer_api.post(URL, {"plan": night}, format="json").json()
    proposed = next(row for row in body["plans"] if row["plan_id"] == "request")
    # 24 kWh at 0.05 + 24 kWh at 0.15, and March's service charge (its period starts on the 1st)
    assert proposed["total_cost"] == 7.8 and proposed["fixed_charges"] == 3.0


def test_a_bad_proposed_plan_is_refused_naming_the_field(viewer_api, usage):
    answer = viewer_api.post(
        URL, {"plan": {"rate_type": "simple", "rate_per_kwh": -1}}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "plan.rate_per_kwh"
    assert viewer_api.post(URL, {}, format="json").json()["field"] == "plan"


def test_the_range_is_bounded_to_92_days(viewer_api):
    answer = viewer_api.get("/api/costs/compare?start_date=2024-01-01&end_date=2024-04-30")
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_DATE_RANGE"
