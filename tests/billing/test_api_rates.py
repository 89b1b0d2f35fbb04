"""GET/POST /api/rates: the plan in force, new versions, validation and permissions."""

from __future__ import annotations

import pytest
import time_machine

from billing.models import RatePlan
from security.models import AuditLog
from tests.billing.factories import forced_client, utc

pytestmark = pytest.mark.django_db

FLAT = {"rate_type": "simple", "currency": "USD", "rate_structure": {"rate_per_kwh": 0.12}}
TOU = {
    "rate_type": "time_of_use",
    "timezone": "Europe/Berlin",
    "time_of_use_rates": [
        {"start_hour": 22, "end_hour": 6, "rate": 0.08, "label": "Night"},
        {"start_hour": 6, "end_hour": 22, "rate": 0.30, "label": "Day"},
    ],
}


@pytest.fixture
def admin_at(admin_user):
    return forced_client(admin_user)


def test_it_answers_a_default_plan_before_any_is_saved(viewer_api):
    body = viewer_api.get("/api/rates").json()
    assert body["is_default"] is True and body["id"] is None
    assert body["rate_type"] == "simple" and body["rate_structure"] == {"rate_per_kwh": 0.12}


def test_a_saved_plan_is_answered_in_the_spec_shape(operator_api):
    answer = operator_api.post("/api/rates", TOU, format="json")
    assert answer.status_code == 201, answer.json()
    body = operator_api.get("/api/rates").json()
    assert body["rate_type"] == "time_of_use" and body["is_default"] is False
    assert body["time_of_use_rates"][0] == {
        "start_hour": 22, "end_hour": 6, "rate": 0.08, "label": "Night",
        "days_of_week": [0, 1, 2, 3, 4, 5, 6],
    }  # fmt: skip
    again = operator_api.post("/api/rates", body, format="json")  # what GET answers goes back
    assert again.status_code == 201, again.json()


def test_a_new_plan_takes_effect_when_it_is_saved(admin_at):
    with time_machine.travel(utc(2024, 3, 10, 12, 30), tick=False):
        admin_at.post("/api/rates", FLAT, format="json")
    with time_machine.travel(utc(2024, 3, 15, 9), tick=False):
        body = admin_at.post("/api/rates", TOU, format="json").json()
    assert body["effective_from"] == "2024-03-15T09:00:00Z"
    assert list(RatePlan.objects.values_list("rate_type", flat=True)) == ["time_of_use", "simple"]


def test_a_past_effective_date_never_rewrites_costs_it_takes_effect_now(admin_at):
    with time_machine.travel(utc(2024, 3, 15, 9), tick=False):
        body = admin_at.post(
            "/api/rates", {**FLAT, "effective_date": "2024-03-01"}, format="json"
        ).json()
    assert body["effective_from"] == "2024-03-15T09:00:00Z"


def test_a_future_effective_date_waits_for_its_day(admin_at):
    with time_machine.travel(utc(2024, 3, 15, 9), tick=False):
        admin_at.post("/api/rates", FLAT, format="json")
        body = admin_at.post(
            "/api/rates", {**TOU, "effective_date": "2024-04-01"}, format="json"
        ).json()
        assert body["effective_from"] == "2024-03-31T22:00:00Z"  # midnight in Berlin
        assert admin_at.get("/api/rates").json()["rate_type"] == "simple"
    with time_machine.travel(utc(2024, 4, 1, 0), tick=False):
        assert admin_at.get("/api/rates").json()["rate_type"] == "time_of_use"


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        (  # TOU ranges overlap
            {**TOU, "time_of_use_rates": [
                {"start_hour": 22, "end_hour": 7, "rate": 0.08},
                {"start_hour": 6, "end_hour": 22, "rate": 0.30},
            ]},
            "time_of_use_rates[0].end_hour",
        ),
        (  # tier limits must increase
            {"rate_type": "tiered", "rate_structure": {
                "tier1_limit": 500, "tier1_rate": 0.1, "tier2_limit": 400, "tier2_rate": 0.2,
                "tier3_rate": 0.3,
            }},
            "rate_structure.tier2_limit",
        ),
        (  # rates are not negative
            {"rate_type": "simple", "rate_structure": {"rate_per_kwh": -0.1}},
            "rate_structure.rate_per_kwh",
        ),
        ({"rate_type": "bogus"}, "rate_type"),
        ({**FLAT, "currency": "XYZ"}, "currency"),
        ([1, 2], "plan"),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_plan_naming_the_offending_field(admin_api, plan, field):
    answer = admin_api.post("/api/rates", plan, format="json")
    body = answer.json()
    assert answer.status_code == 400, body
    assert body["error_code"] == "INVALID_RATE_PLAN"
    assert body["field"].startswith(field), body
    assert not RatePlan.objects.exists()


def test_it_refuses_a_second_currency(admin_api):
    admin_api.post("/api/rates", FLAT, format="json")
    body = admin_api.post("/api/rates", {**FLAT, "currency": "EUR"}, format="json").json()
    assert body["error_code"] == "INVALID_RATE_PLAN" and body["field"] == "currency"


def test_saving_a_plan_is_audited(admin_api, admin_user):
    admin_api.post("/api/rates", FLAT, format="json")
    entry = AuditLog.objects.get(action="rates.update")
    assert entry.actor == admin_user and entry.details["rate_type"] == "simple"


def test_viewers_read_rates_and_costs_but_cannot_change_rates(viewer_api):
    assert viewer_api.get("/api/rates").status_code == 200
    assert viewer_api.get("/api/costs").status_code == 200
    assert viewer_api.get("/api/costs/compare").status_code == 200
    answer = viewer_api.post("/api/rates", FLAT, format="json")
    assert answer.status_code == 403
    assert answer.json()["required_permission"] == "rates.edit"


def test_operators_and_admins_change_rates(operator_api, admin_api):
    assert operator_api.post("/api/rates", FLAT, format="json").status_code == 201
    assert admin_api.post("/api/rates", TOU, format="json").status_code == 201


def test_anonymous_callers_get_401(api_client):
    for url in ("/api/rates", "/api/costs", "/api/costs/compare"):
        assert api_client.get(url).status_code == 401
    assert api_client.post("/api/rates", FLAT, format="json").status_code == 401
