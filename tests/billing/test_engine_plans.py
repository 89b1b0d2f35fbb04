"""Rate plans in the spec's and the original product's vocabularies; bad plans refused by field."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from billing.plans import currency_places, normalise_plan, plan_to_api
from billing.plans.errors import PlanError

D = Decimal

SPEC_TIERED = {
    "rate_type": "tiered",
    "currency": "USD",
    "rate_structure": {
        "tier1_limit": 500,
        "tier1_rate": 0.10,
        "tier2_limit": 1000,
        "tier2_rate": 0.12,
        "tier3_rate": 0.15,
    },
    # The spec's GET example carries a partial TOU list on a tiered plan: not used, not checked.
    "time_of_use_rates": [
        {"start_hour": 0, "end_hour": 6, "rate": 0.08, "label": "Off-Peak"},
        {"start_hour": 6, "end_hour": 22, "rate": 0.12, "label": "Peak"},
    ],
}

ORIGINAL_COMBINED = {
    "rate_type": "combined",
    "currency": "EUR",
    "rate_config": {
        "time_of_use_rates": [
            {
                "start_hour": 22,
                "end_hour": 7,
                "rate_per_kwh": 0.09,
                "days_of_week": None,
                "description": "Night",
            },
            {
                "start_hour": 7,
                "end_hour": 22,
                "rate_per_kwh": 0.21,
                "days_of_week": None,
                "description": "Day",
            },
        ],
        "tier_rates": [
            {"min_kwh": 0, "max_kwh": 250, "rate_per_kwh": 0, "description": "Baseline"},
            {"min_kwh": 250, "max_kwh": None, "rate_per_kwh": 0.04},
        ],
        "monthly_service_charge": 12.5,
        "demand_charge_per_kw": 0,
        "tax_rate": 7,
        "additional_fees": {"Renewables levy": 1.25},
    },
}


def test_it_reads_the_spec_simple_plan():
    plan = normalise_plan(
        {"rate_type": "simple", "currency": "USD", "rate_structure": {"rate_per_kwh": 0.12}}
    )

    assert plan["rate_type"] == "simple"
    assert plan["rate_per_kwh"] == D("0.12")
    assert plan_to_api(plan)["rate_structure"] == {"rate_per_kwh": D("0.12")}


def test_it_reads_and_writes_the_spec_tier_shape():
    plan = normalise_plan(SPEC_TIERED)

    assert plan["tier_rates"] == [
        {"min_kwh": 0, "max_kwh": 500, "rate": D("0.1")},
        {"min_kwh": 500, "max_kwh": 1000, "rate": D("0.12")},
        {"min_kwh": 1000, "max_kwh": None, "rate": D("0.15")},
    ]
    assert plan["time_of_use_rates"] == []
    assert plan_to_api(plan)["rate_structure"] == {
        "tier1_limit": 500,
        "tier1_rate": D("0.1"),
        "tier2_limit": 1000,
        "tier2_rate": D("0.12"),
        "tier3_rate": D("0.15"),
    }


def test_it_reads_the_original_products_rate_config():
    plan = normalise_plan(ORIGINAL_COMBINED)

    assert plan["rate_type"] == "combined"
    assert [
        (p["start_minute"], p["end_minute"], p["rate"], p["label"])
        for p in plan["time_of_use_rates"]
    ] == [
        (22 * 60, 7 * 60, D("0.09"), "Night"),
        (7 * 60, 22 * 60, D("0.21"), "Day"),
    ]
    assert plan["time_of_use_rates"][0]["days_of_week"] == [0, 1, 2, 3, 4, 5, 6]
    assert plan["monthly_service_charge"] == D("12.5")
    assert plan["tax"] == {"rate": D("7"), "applies_to": ["energy", "service", "demand", "fees"]}
    assert plan["additional_fees"] == {"Renewables levy": D("1.25")}


def test_flat_is_simple_and_times_may_be_clock_strings():
    plan = normalise_plan(
        {
            "rate_type": "time_of_use",
            "time_of_use_rates": [
                {"start": "06:30", "end": "23:30", "rate": "0.2"},
                {"start_time": "23:30", "end_time": "06:30", "rate": "0.1"},
            ],
        }
    )

    assert normalise_plan({"rate_type": "flat", "flat_rate": 0.1})["rate_type"] == "simple"
    assert [(p["start_minute"], p["end_minute"]) for p in plan["time_of_use_rates"]] == [
        (390, 1410),
        (1410, 390),
    ]
    assert plan_to_api(plan)["time_of_use_rates"][0]["start_hour"] == "06:30"


SEASONAL = {
    "rate_type": "seasonal",
    "timezone": "Europe/Madrid",
    "billing_cycle_start_day": 20,
    "effective_date": "2024-06-01",
    "tax": {"rate": "21", "applies_to": ["energy", "service"]},
    "seasonal_rates": [
        {"start_month": 11, "end_month": 3, "label": "Winter", "base_rate": "0.19"},
        {
            "start_month": 4,
            "end_month": 10,
            "label": "Summer",
            "time_of_use_rates": [
                {"start": "08:00", "end": "20:30", "rate": "0.22", "days_of_week": [0, 1, 2, 3, 4]},
                {"start": "20:30", "end": "08:00", "rate": "0.11", "days_of_week": [0, 1, 2, 3, 4]},
                {"start_hour": 0, "end_hour": 24, "rate": "0.11", "days_of_week": [5, 6]},
            ],
            "tier_rates": [{"max_kwh": 150, "rate": 0}, {"rate": "0.03"}],
        },
    ],
}


GAPS = {
    "rate_type": "time_of_use",
    "default_rate": "0.04",
    "time_of_use_rates": [{"start_hour": 6, "end_hour": 22, "rate": "0.12"}],
}


@pytest.mark.parametrize("data", [SPEC_TIERED, ORIGINAL_COMBINED, SEASONAL, GAPS])
def test_a_normalised_plan_reads_back_unchanged(data):
    plan = normalise_plan(data)
    stored = json.loads(json.dumps(plan_to_api(plan), default=str))  # as a JSON column keeps it

    assert normalise_plan(plan) == plan
    assert normalise_plan(plan_to_api(plan)) == plan
    assert normalise_plan(stored) == plan


def test_defaults_for_the_richer_fields():
    plan = normalise_plan(
        {"rate_type": "simple", "rate_per_kwh": 0.1}, default_timezone="Europe/Paris"
    )

    assert (plan["currency"], plan["timezone"], plan["billing_cycle_start_day"]) == (
        "USD",
        "Europe/Paris",
        1,
    )
    assert (
        currency_places("JPY") == 0 and currency_places("KWD") == 3 and currency_places("USD") == 2
    )


TOU = [
    {"start_hour": 0, "end_hour": 6, "rate": 0.08},
    {"start_hour": 6, "end_hour": 22, "rate": 0.12},
    {"start_hour": 22, "end_hour": 24, "rate": 0.08},
]


def tou(*changes: tuple[int, str, object]) -> dict:
    periods = [dict(p) for p in TOU]
    for index, key, value in changes:
        periods[index][key] = value
    return {"rate_type": "time_of_use", "time_of_use_rates": periods}


BAD_PLANS = {
    "overlapping TOU": (tou((1, "end_hour", 23)), "time_of_use_rates[1].end_hour", "overlaps"),
    "a negative default rate": (
        {**tou((1, "end_hour", 21)), "default_rate": -1},
        "default_rate",
        "negative",
    ),
    "hour out of range": (tou((1, "end_hour", 25)), "time_of_use_rates[1].end_hour", "0 to 24"),
    "non-increasing tiers": (
        {
            "rate_type": "tiered",
            "rate_structure": {
                "tier1_limit": 500,
                "tier1_rate": 0.1,
                "tier2_limit": 400,
                "tier2_rate": 0.12,
                "tier3_rate": 0.15,
            },
        },
        "rate_structure.tier2_limit",
        "more than 500",
    ),
    "limited last tier": (
        {
            "rate_type": "tiered",
            "rate_structure": {
                "tier1_limit": 500,
                "tier1_rate": 0.1,
                "tier2_limit": 900,
                "tier2_rate": 0.12,
            },
        },
        "rate_structure.tier2_limit",
        "last tier",
    ),
    "tiers with a hole": (
        {
            "rate_type": "tiered",
            "tier_rates": [
                {"min_kwh": 0, "max_kwh": 100, "rate": 0.1},
                {"min_kwh": 150, "rate": 0.2},
            ],
        },
        "tier_rates[1].min_kwh",
        "must be 100",
    ),
    "negative rate": (
        {"rate_type": "simple", "rate_structure": {"rate_per_kwh": -0.1}},
        "rate_structure.rate_per_kwh",
        "negative",
    ),
    "negative TOU rate": (tou((2, "rate", "-0.01")), "time_of_use_rates[2].rate", "negative"),
    "missing rate": (
        {"rate_type": "simple", "rate_structure": {}},
        "rate_structure.rate_per_kwh",
        "required",
    ),
    "bad currency": (
        {"rate_type": "simple", "rate_per_kwh": 1, "currency": "DOLLARS"},
        "currency",
        "ISO 4217",
    ),
    "unknown currency": (
        {"rate_type": "simple", "rate_per_kwh": 1, "currency": "XYZ"},
        "currency",
        "ISO 4217",
    ),
    "bad time zone": (
        {"rate_type": "simple", "rate_per_kwh": 1, "timezone": "Mars/Olympus"},
        "timezone",
        "IANA",
    ),
    "path as time zone": (
        {"rate_type": "simple", "rate_per_kwh": 1, "timezone": "../../etc/passwd"},
        "timezone",
        "IANA",
    ),
    "cycle day 29": (
        {"rate_type": "simple", "rate_per_kwh": 1, "billing_cycle_start_day": 29},
        "billing_cycle_start_day",
        "1 to 28",
    ),
    "unknown rate type": ({"rate_type": "cheap", "rate_per_kwh": 1}, "rate_type", "one of"),
    "tax over 100 %": (
        {"rate_type": "simple", "rate_per_kwh": 1, "tax_rate": 120},
        "tax_rate",
        "at most 100",
    ),
    "tax on nonsense": (
        {
            "rate_type": "simple",
            "rate_per_kwh": 1,
            "tax": {"rate": 5, "applies_to": ["energy", "vibes"]},
        },
        "tax.applies_to",
        "energy, service, demand, fees",
    ),
    "fee not a number": (
        {"rate_type": "simple", "rate_per_kwh": 1, "additional_fees": {"Meter": "lots"}},
        "additional_fees.Meter",
        "number",
    ),
    "seasons overlap": (
        {
            "rate_type": "seasonal",
            "seasonal_rates": [
                {"start_month": 6, "end_month": 9, "base_rate": 0.2},
                {"start_month": 9, "end_month": 5, "base_rate": 0.1},
            ],
        },
        "seasonal_rates[1].start_month",
        "September",
    ),
    "a month without a season": (
        {
            "rate_type": "seasonal",
            "seasonal_rates": [
                {"start_month": 6, "end_month": 9, "base_rate": 0.2},
                {"start_month": 10, "end_month": 4, "base_rate": 0.1},
            ],
        },
        "seasonal_rates",
        "May",
    ),
    "season without prices": (
        {"rate_type": "seasonal", "seasonal_rates": [{"start_month": 1, "end_month": 12}]},
        "seasonal_rates[0].base_rate",
        "base_rate",
    ),
    "seasonal_tiered without tiers": (
        {
            "rate_type": "seasonal_tiered",
            "seasonal_rates": [{"start_month": 1, "end_month": 12, "base_rate": 0.1}],
        },
        "seasonal_rates[0].tier_rates",
        "required",
    ),
    "not an object": ([1, 2], "plan", "object"),
}


@pytest.mark.parametrize("data, field, words", BAD_PLANS.values(), ids=BAD_PLANS.keys())
def test_bad_plans_are_refused_naming_the_field(data, field, words):
    with pytest.raises(PlanError) as refused:
        normalise_plan(data)

    assert refused.value.field == field
    assert words in refused.value.message
