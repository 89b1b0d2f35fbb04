"""Time-of-use plans that leave hours uncovered: the spec's own example is accepted, and those
hours are priced at default_rate (the first period's rate unless given)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from billing import selectors
from billing.models import HourlyCost
from tests.billing.factories import devices, forced_client, utc, write_hours

pytestmark = pytest.mark.django_db

D = Decimal
# kasa-monitor-api.md, "Electricity Rates": two periods, 22:00-24:00 left out.
SPEC_PERIODS = [
    {"start_hour": 0, "end_hour": 6, "rate": 0.08, "label": "Off-Peak"},
    {"start_hour": 6, "end_hour": 22, "rate": 0.12, "label": "Peak"},
]
SPEC_TOU = {
    "rate_type": "time_of_use",
    "currency": "USD",
    "timezone": "UTC",
    "time_of_use_rates": SPEC_PERIODS,
}
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


@pytest.fixture
def operator_at(operator_user):
    return forced_client(operator_user)


def test_the_specs_time_of_use_example_is_accepted(operator_api):
    answer = operator_api.post("/api/rates", SPEC_TOU, format="json")
    body = answer.json()
    assert answer.status_code == 201, body
    assert body["default_rate"] is None  # not given: the first period's rate
    assert body["uncovered_hours"] == [
        {"start_hour": 22, "end_hour": 24, "days_of_week": EVERY_DAY, "rate": 0.08}
    ]
    assert operator_api.get("/api/rates").json()["uncovered_hours"] == body["uncovered_hours"]
    again = operator_api.post("/api/rates", body, format="json")  # what it answers goes back
    assert again.status_code == 201, again.json()
    assert again.json()["uncovered_hours"] == body["uncovered_hours"]


def test_the_specs_example_is_accepted_as_a_combined_plan_too(operator_api):
    plan = {
        **SPEC_TOU,
        "rate_type": "combined",
        "rate_structure": {"tier1_limit": 500, "tier1_rate": 0, "tier2_rate": 0.03},
    }
    answer = operator_api.post("/api/rates", plan, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["uncovered_hours"][0]["start_hour"] == 22


def test_a_default_rate_prices_the_uncovered_hours(operator_api):
    body = operator_api.post("/api/rates", {**SPEC_TOU, "default_rate": 0.05}, format="json").json()
    assert body["default_rate"] == 0.05
    assert body["uncovered_hours"] == [
        {"start_hour": 22, "end_hour": 24, "days_of_week": EVERY_DAY, "rate": 0.05}
    ]


def test_a_plan_covering_every_hour_has_no_uncovered_hours(operator_api):
    periods = [*SPEC_PERIODS, {"start_hour": 22, "end_hour": 24, "rate": 0.08}]
    body = operator_api.post(
        "/api/rates", {**SPEC_TOU, "time_of_use_rates": periods}, format="json"
    ).json()
    assert body["uncovered_hours"] == []


def test_uncovered_weekend_hours_are_listed_by_day(operator_api):
    periods = [
        {"start_hour": 0, "end_hour": 24, "rate": 0.10, "days_of_week": [0, 1, 2, 3, 4]},
        {"start_hour": 8, "end_hour": 20, "rate": 0.20, "days_of_week": [5, 6]},
    ]
    body = operator_api.post(
        "/api/rates", {**SPEC_TOU, "time_of_use_rates": periods}, format="json"
    ).json()
    assert body["uncovered_hours"] == [
        {"start_hour": 0, "end_hour": 8, "days_of_week": [5, 6], "rate": 0.10},
        {"start_hour": 20, "end_hour": 24, "days_of_week": [5, 6], "rate": 0.10},
    ]


def test_overlapping_periods_are_still_refused(operator_api):
    periods = [{**SPEC_PERIODS[0], "end_hour": 7}, SPEC_PERIODS[1]]
    body = operator_api.post(
        "/api/rates", {**SPEC_TOU, "time_of_use_rates": periods}, format="json"
    ).json()
    assert body["error_code"] == "INVALID_RATE_PLAN"
    assert body["field"] == "time_of_use_rates[0].end_hour" and "overlaps" in body["message"]


def test_a_bad_default_rate_is_refused(operator_api):
    body = operator_api.post("/api/rates", {**SPEC_TOU, "default_rate": -1}, format="json").json()
    assert body["error_code"] == "INVALID_RATE_PLAN" and body["field"] == "default_rate"


@pytest.mark.parametrize(
    ("extra", "late_rate"),
    [({}, D("0.08")), ({"default_rate": "0.05"}, D("0.05"))],
    ids=["first period's rate", "default_rate"],
)
def test_the_bill_of_a_day_with_use_at_23_00(operator_at, extra, late_rate):
    (plug,) = devices(1)
    with time_machine.travel(utc(2024, 3, 1), tick=False):
        answer = operator_at.post("/api/rates", {**SPEC_TOU, **extra}, format="json")
        assert answer.status_code == 201, answer.json()
    # 05:00 off-peak, 12:00 peak, 23:00 in no period: 1.5 kWh each.
    for hour in (5, 12, 23):
        write_hours(plug, utc(2024, 3, 5, hour), [1.5])
    stored = dict(HourlyCost.objects.filter(device=plug).values_list("hour", "cost"))
    assert stored == {
        utc(2024, 3, 5, 5): D("0.12"),  # 1.5 x 0.08
        utc(2024, 3, 5, 12): D("0.18"),  # 1.5 x 0.12
        utc(2024, 3, 5, 23): D("1.5") * late_rate,
    }
    day_total = D("0.12") + D("0.18") + D("1.5") * late_rate
    assert selectors.cost_between([plug.pk], utc(2024, 3, 5), utc(2024, 3, 6)) == day_total
    with time_machine.travel(utc(2024, 3, 6), tick=False):
        body = operator_at.get("/api/costs?start_date=2024-03-05&end_date=2024-03-05").json()
    assert D(str(body["total_cost"])) == day_total.quantize(D("0.01"))
    assert body["total_kwh"] == 4.5
