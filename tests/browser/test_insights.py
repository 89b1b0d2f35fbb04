"""The insight cards in a real browser: the dashboard's always-on ranking and bill
projection (text and charts) and its movers, the costs page's "What changed" following the
period picker, with JavaScript and without.

The household is constructed around the real clock (the web process cannot travel in
time): at 0.20 EUR a kWh (UTC), a Heater drawing 100 W and a TV corner 14 W in every hour
of the last 70 days except those at the current hour of the day (H0), and a Kettle using
1.0 kWh in the first hour of the last billing period (a month, from the 1st), more than the
28 days the projection's pattern reads before today (but on 1 March after a 28-day
February). Every day of the pattern uses 23 x 0.114 = 2.622 kWh (0.5244 EUR), weekday or
weekend alike.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in, screenshot
from tests.browser.test_every_page import axe_problems
from tests.factories import DeviceFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HOUR = timedelta(hours=1)
PLAN = {"rate_type": "simple", "rate_per_kwh": 0.20, "currency": "EUR", "timezone": "UTC"}


@pytest.fixture
def page(chromium, browser_app):
    """conftest's page, but axe-core (an inline script) may run in it: bypass_csp."""
    context = chromium.new_context(
        base_url=browser_app, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def last_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


@pytest.fixture
def household():
    """The household above; returns what the figures depend on: H0, this month, devices."""
    from billing import services as billing_services
    from tests.insights.support import power_hours

    now = datetime.now(UTC)
    if now.minute >= 58:  # the figures leave out the hour of the day the test runs in
        time.sleep((60 - now.minute) * 60 - now.second + 1)
        now = datetime.now(UTC)
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    first = this_hour.replace(day=1, hour=0)
    previous_first = (first - timedelta(days=1)).replace(day=1)
    heater, tv = DeviceFactory(alias="Heater"), DeviceFactory(alias="TV corner")
    kettle = DeviceFactory(alias="Kettle")
    hours = [this_hour - HOUR * n for n in range(1, 70 * 24)]
    hours = [h for h in hours if h.hour != this_hour.hour]
    power_hours(heater, dict.fromkeys(hours, 100.0))
    power_hours(tv, dict.fromkeys(hours, 14.0))
    power_hours(kettle, {previous_first: 1000.0})
    billing_services.rate_plan_save(PLAN)  # the first plan prices all the hours before it
    billing_services.price_pending()
    return {"now": now, "kettle": kettle, "heater": heater, "tv": tv}


def test_the_dashboard_shows_the_insights_and_their_charts(page, browser_app, household):
    viewer = UserFactory(role="viewer")
    log_in(page, viewer, browser_app)
    page.goto("/")
    standby = page.locator("#standby")
    # The lowest tenth of the night hours' mean power is the steady power: 100 W is
    # 0.1 kWh x 8,760 h = 876 kWh a year, x 0.20 = 175.20 EUR; 14 W: 122.64 kWh, 24.53 EUR;
    # both 114 W, 998.64 kWh, 199.73 EUR. The Heater ranks first.
    items = standby.locator("li")
    expect(items).to_have_count(2)  # the Kettle draws nothing at night: no figure
    expect(items.nth(0)).to_have_text("Heater: 100.0 W always on ≈ 175.20 EUR/yr")
    expect(items.nth(1)).to_have_text("TV corner: 14.0 W always on ≈ 24.53 EUR/yr")
    expect(standby).to_contain_text("All devices: 114.0 W ≈ 199.73 EUR a year")
    # This month: each of its days 2.622 kWh whatever its type, so the projection is
    # 2.622 kWh x its days, 0.5244 EUR a day; every day alike, so the likely range is that
    # one figure.
    now = household["now"]
    days = calendar.monthrange(now.year, now.month)[1]
    projected = round(2.622 * days * 0.20, 2)
    bill = page.locator("#bill-projection")
    expect(bill.locator("[data-field=projected_cost]")).to_have_text(f"{projected:.2f} EUR")
    expect(bill.locator("[data-field=projected_range]")).to_have_text(
        f"{projected:.2f} EUR – {projected:.2f} EUR"
    )
    # So far: the whole hours since the 1st without H0's, 0.114 kWh (0.0228 EUR) each.
    hours = (now.day - 1) * 23 + now.hour
    expect(bill.locator("[data-field=so_far_cost]")).to_have_text(f"{hours * 0.0228:.2f} EUR")
    # Since the last period: the same hours of last month, the Kettle's 1.0 kWh against
    # nothing now (-100 %); the Heater's and the TV's hours are alike, no change.
    kettle = household["kettle"]
    expect(page.locator(f"#movers .down[data-device='{kettle.pk}']")).to_have_text("Kettle -100 %")
    expect(page.locator("#movers .mover")).to_have_count(1)
    # The charts: the bill's four lines (the range's two edges, so far, projected) with
    # markers on so far and projected (two points each); a bar per always-on device.
    expect(page.locator("#bill-chart svg .scatterlayer .trace")).to_have_count(4)
    expect(page.locator("#bill-chart svg .scatterlayer .point")).to_have_count(4)
    expect(page.locator("#standby-chart svg .barlayer .point")).to_have_count(2)
    screenshot(page, "insights-dashboard")
    assert not axe_problems(page)


def test_what_changed_follows_the_period_picker(page, browser_app, household):
    viewer = UserFactory(role="viewer")
    log_in(page, viewer, browser_app)
    page.goto("/costs")
    card = page.locator("#changes")
    expect(card).to_contain_text("This billing period so far")
    expect(page.locator("#bill-chart svg .scatterlayer .trace")).to_have_count(4)
    first, last = last_month(household["now"].date())
    page.get_by_label("Period").select_option("last_month")
    expect(card).to_contain_text(f"The period ({first} to {last})")
    # Last month: 23 hours a day x 0.114 kWh and the Kettle's 1.0 kWh.
    kwh = 2.622 * last.day + 1.0
    household_row = card.locator("tr.household [data-field=cost]")
    # kg of CO2 at the default 475 g/kWh, to the gram, shown to two places half up
    kg = Decimal(str(round(kwh * 0.475, 3))).quantize(Decimal("0.01"), ROUND_HALF_UP)
    expect(household_row).to_have_text(f"{kwh * 0.20:.2f} EUR ({kwh:,.3f} kWh · {kg} kg CO₂)")
    kettle = card.locator(f"tr[data-device='{household['kettle'].pk}'] [data-field=cost]")
    expect(kettle).to_have_text("0.20 EUR (1.000 kWh · 0.48 kg CO₂)")  # 0.475 kg
    screenshot(page, "insights-costs-last-month")
    assert not axe_problems(page)


def test_the_device_page_charts_what_a_run_costs_by_the_hour_it_starts(page, browser_app):
    """A dishwasher's run, and tomorrow's start hours as bars: 0.10 EUR a kWh, 0.30 from
    16:00 to 21:00 (UTC, the household's clock here too)."""
    from billing import services as billing_services
    from insights import services
    from tests.insights.support import minutes, watch

    billing_services.rate_plan_save({
        "rate_type": "time_of_use", "timezone": "UTC", "currency": "EUR", "default_rate": 0.10,
        "time_of_use_rates": [{"start_hour": 16, "end_hour": 21, "rate": 0.30,
                               "days_of_week": [0, 1, 2, 3, 4, 5, 6]}],
    })  # fmt: skip
    dishwasher = DeviceFactory(alias="Dishwasher")
    watch(dishwasher, kind="dishwasher", threshold_w=10, min_run_minutes=30, max_gap_minutes=20)
    # Yesterday 10:00-11:00 UTC, 1,200 W, seen off at 11:01: 1.2 kWh at 0.10 = 0.12 EUR.
    yesterday = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    minutes(dishwasher, yesterday - timedelta(days=1), [1200] * 61 + [0] * 30)
    assert services.appliance_runs_detect() == 1
    log_in(page, UserFactory(role="viewer"), browser_app)
    page.goto(f"/devices/{dishwasher.pk}")
    runs = page.locator("#runs")
    # Started at 00:00 the typical run (1.2 kWh in an hour) costs 0.12; at 16:00, 0.36; at
    # 15:00 it runs into the dear hours after 16:00 for its last minute.
    expect(runs.locator(".runs-summary")).to_contain_text(
        "cheapest hour to start it tomorrow: 00:00 (0.12 EUR; 16:00 costs 0.36 EUR)"
    )
    expect(runs.locator("#runs-table tbody tr")).to_have_count(1)
    expect(runs.locator("#runs-table tbody td").nth(3)).to_have_text("0.12 EUR")
    expect(page.locator("#runs-chart svg .barlayer .point")).to_have_count(24)
    screenshot(page, "insights-device-runs")
    assert not axe_problems(page)
