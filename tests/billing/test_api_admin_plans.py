"""Rate plans in the admin: the same validation as the API, in the form and in imports."""

from __future__ import annotations

import json

import pytest
import tablib
from django.test import Client

from billing.admin import RatePlanForm
from billing.models import RatePlan, RepriceRequest
from billing.resources import RatePlanResource

pytestmark = pytest.mark.django_db

GOOD = {"rate_type": "tiered", "rate_structure": {"tier1_limit": 100, "tier1_rate": 0.1,
                                                   "tier2_rate": 0.2}}  # fmt: skip
BAD = {"rate_type": "tiered", "rate_structure": {"tier1_limit": 100, "tier1_rate": -0.1,
                                                  "tier2_rate": 0.2}}  # fmt: skip
HEADERS = ["id", "name", "effective_from", "plan"]


def form(plan) -> RatePlanForm:
    return RatePlanForm(data={"effective_from": "2024-03-01 00:00:00", "plan": json.dumps(plan)})


def test_the_admin_form_names_the_offending_field_of_a_bad_plan():
    bad = form(BAD)
    assert not bad.is_valid()
    assert bad.errors["plan"] == ["rate_structure.tier1_rate: must not be negative"]
    assert form(GOOD).is_valid()


def test_an_admin_saves_a_plan_and_its_costs_are_worked_out_again(admin_user, password):
    client = Client()
    client.login(username=admin_user.username, password=password)
    answer = client.post(
        "/admin/billing/rateplan/add/",
        {
            "effective_from_0": "2024-03-01",
            "effective_from_1": "00:00:00",
            "plan": json.dumps(GOOD),
        },
    )
    assert answer.status_code == 302, answer.content[:2000]
    row = RatePlan.objects.get()
    assert (row.rate_type, row.currency, row.created_by) == ("tiered", "USD", admin_user)
    assert RepriceRequest.objects.exists()


def test_imported_plans_are_validated_row_by_row():
    good = ["", "good", "2024-03-01 00:00:00", json.dumps(GOOD)]
    dataset = tablib.Dataset(good, headers=HEADERS)
    dataset.append(["", "bad", "2024-04-01 00:00:00", json.dumps(BAD)])
    result = RatePlanResource().import_data(dataset, dry_run=False, raise_errors=False)
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert "rate_structure.tier1_rate: must not be negative" in str(invalid.error_dict)
    assert RatePlan.objects.get().rate_type == "tiered"  # the good row is kept
    assert RepriceRequest.objects.exists()


def test_plans_export_with_their_prices():
    row = RatePlan(effective_from="2024-03-01T00:00:00Z", plan=GOOD, rate_type="tiered")
    row.save()
    exported = RatePlanResource().export().dict[0]
    assert json.loads(exported["plan"])["rate_structure"]["tier1_limit"] == 100
    assert list(RatePlanResource().export().headers) == [
        "id", "name", "effective_from", "rate_type", "currency", "plan",
    ]  # fmt: skip
