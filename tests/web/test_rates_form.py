"""The rates page edits every plan type and part the API takes, without JavaScript."""

from __future__ import annotations

import pytest
from django.utils.datastructures import MultiValueDict

from billing import selectors
from web.rate_form import form_context, from_api, plan_from_form

pytestmark = pytest.mark.django_db


def post(client, fields: dict):
    """POST the rates form; list values post as repeated names, like the page's rows."""
    return client.post("/rates/save", fields)


@pytest.fixture
def editor(operator_user):
    from tests.web.support import logged_in_client

    return logged_in_client(operator_user)


def saved():
    return selectors.plan_in_force().plan


def test_a_seasonal_tiered_plan_with_every_charge(editor):
    response = post(editor, {
        "rate_type": "seasonal_tiered", "currency": "usd", "timezone": "America/Los_Angeles",
        "billing_cycle_start_day": "15", "effective_date": "", "name": "E-TOU",
        "season_count": "3",
        "s0-label": "Summer", "s0-start_month": "6", "s0-end_month": "9",
        "s0-p_label": ["Peak", "Off-peak", ""], "s0-p_start": ["16", "21", ""],
        "s0-p_end": ["21", "16", ""], "s0-p_rate": ["0.20", "0.10", ""], "s0-p_days": ["", "", ""],
        "s0-tier_max": ["300", "", ""], "s0-tier_rate": ["0", "0.05", ""],
        "s1-label": "Winter", "s1-start_month": "10", "s1-end_month": "5",
        "s1-tier_max": ["400", ""], "s1-tier_rate": ["0.09", "0.13"],
        "monthly_service_charge": "10", "demand_charge_per_kw": "2.5",
        "tax_rate": "8.5", "tax_applies_to": ["energy", "fees"],
        "fee_name": ["Meter", ""], "fee_amount": ["1.5", ""],
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = saved()
    assert plan["rate_type"] == "seasonal_tiered" and plan["currency"] == "USD"
    assert plan["billing_cycle_start_day"] == 15 and plan["name"] == "E-TOU"
    summer, winter = plan["seasonal_rates"]
    assert [p["label"] for p in summer["time_of_use_rates"]] == ["Peak", "Off-peak"]
    assert [str(t["rate"]) for t in winter["tier_rates"]] == ["0.09", "0.13"]
    assert str(plan["demand_charge_per_kw"]) == "2.5" and str(plan["tax"]["rate"]) == "8.5"
    assert plan["tax"]["applies_to"] == ["energy", "fees"]
    assert {k: str(v) for k, v in plan["additional_fees"].items()} == {"Meter": "1.5"}
    html = editor.get("/rates").content.decode()  # and the page shows it back
    assert 'value="Summer"' in html and 'value="Meter"' in html and 'value="15"' in html
    assert '<option value="seasonal_tiered" selected>' in html


def test_a_combined_plan_with_weekday_periods(editor):
    response = post(editor, {
        "rate_type": "combined", "currency": "EUR",
        "p_label": ["Peak", "Rest"], "p_start": ["17", "21"], "p_end": ["21", "17"],
        "p_rate": ["0.30", "0.10"], "p_days": ["0,1,2,3,4", ""],
        "tier_max": ["300", ""], "tier_rate": ["0", "0.09"],
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = saved()
    assert plan["rate_type"] == "combined"
    assert plan["time_of_use_rates"][0]["days_of_week"] == [0, 1, 2, 3, 4]
    assert len(plan["tier_rates"]) == 2


def test_errors_show_at_the_season_row_the_api_names(editor):
    response = post(editor, {
        "rate_type": "seasonal", "currency": "USD", "season_count": "2",
        "s0-label": "All year", "s0-start_month": "1", "s0-end_month": "6",
        "s0-rate_per_kwh": "0.2",
    })  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 400
    assert "no season covers July" in html
    assert 'value="All year"' in html  # what was typed comes back
    response = post(editor, {
        "rate_type": "seasonal", "currency": "USD", "season_count": "1",
        "s0-label": "All year", "s0-start_month": "1", "s0-end_month": "12",
        "s0-p_label": ["A", "B"], "s0-p_start": ["0", "5"], "s0-p_end": ["10", "12"],
        "s0-p_rate": ["0.1", "0.2"], "s0-p_days": ["", ""],
    })  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 400
    rows = html.split('class="inline-fields tou-row"')
    first = next(r for r in rows if 'name="s0-p_label" placeholder="Peak" value="A"' in r)
    assert "overlaps seasonal_rates[0].time_of_use_rates[1]" in first  # at the row named
    assert (
        'name="s0-p_end" type="number" min="0" max="24" step="1" value="10" aria-invalid="true"'
        in first
    )


def test_a_bad_billing_day_and_tax_are_named(editor):
    html = post(
        editor, {"rate_type": "simple", "rate_per_kwh": "0.1", "billing_cycle_start_day": "31"}
    ).content.decode()
    assert 'id="error-billing_cycle_start_day"' in html
    html = post(
        editor, {"rate_type": "simple", "rate_per_kwh": "0.1", "tax_rate": "200"}
    ).content.decode()
    assert 'id="error-tax"' in html and "at most 100" in html


def test_the_preview_prices_each_hour_of_a_typical_day(editor):
    post(editor, {
        "rate_type": "time_of_use", "currency": "USD",
        "p_label": ["Night", "Day"], "p_start": ["0", "7"], "p_end": ["7", "24"],
        "p_rate": ["0.08", "0.25"], "p_days": ["", ""],
    })  # fmt: skip
    html = editor.get("/rates").content.decode()
    table = html[html.index('id="rate-preview"') :]
    rows = table.split("<tr>")[2:]
    assert len(rows) == 24
    assert '<th scope="row">06:00</th>' in rows[6] and ">0.08<" in rows[6]
    assert '<th scope="row">07:00</th>' in rows[7] and ">0.25<" in rows[7]


def test_the_form_round_trips_the_api_shape():
    body = {"rate_type": "tiered", "currency": "USD", "rate_structure": {
        "tier1_limit": 500, "tier1_rate": 0.1, "tier2_rate": 0.15}}  # fmt: skip
    context = form_context(from_api({**body, "tax": {"rate": 0, "applies_to": []}}))
    tiers = context["energy"]["tiers"]
    post_data = MultiValueDict({
        "rate_type": ["tiered"], "currency": ["USD"],
        "tier_max": [r["values"]["tier_max"] for r in tiers],
        "tier_rate": [r["values"]["tier_rate"] for r in tiers],
    })  # fmt: skip
    plan = plan_from_form(post_data)
    assert plan["tier_rates"] == [
        {"min_kwh": 0, "max_kwh": 500, "rate_per_kwh": 0.1},
        {"min_kwh": 500, "max_kwh": None, "rate_per_kwh": 0.15},
    ]
