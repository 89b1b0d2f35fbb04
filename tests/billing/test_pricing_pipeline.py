"""The stored hourly costs: priced as polls arrive, re-priced when data or plans change."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import rollups, selectors, services
from billing.costs.stored import COST_QUANTUM
from billing.engine import Interval, data_window, price
from billing.models import HourlyCost, RepriceRequest, RollupWatermark
from devices.models import Device, HourlyRollup
from devices.signals import rollups_updated
from tests.billing.factories import HOUR, devices, utc, write_hours

pytestmark = pytest.mark.django_db

# Time of use plus tiers on the household total (adders), tax, a mid-month cycle, DST.
COMBINED = {
    "rate_type": "combined",
    "timezone": "Europe/Berlin",
    "billing_cycle_start_day": 15,
    "time_of_use_rates": [
        {"start_hour": 16, "end_hour": 21, "rate": 0.40, "label": "Peak"},
        {"start_hour": 21, "end_hour": 16, "rate": 0.25, "label": "Off-peak"},
    ],
    "tier_rates": [
        {"min_kwh": 0, "max_kwh": 60, "rate_per_kwh": 0},
        {"min_kwh": 60, "max_kwh": None, "rate_per_kwh": 0.09},
    ],
    "tax": {"rate": 7, "applies_to": ["energy"]},
}


def engine_costs(start, end) -> dict:
    """What the engine says each stored device-hour costs, from all the data at once."""
    versions = selectors.plan_versions()
    low, high = data_window(versions, start, end)
    rows = HourlyRollup.objects.filter(hour__gte=low, hour__lt=high)
    intervals = [
        Interval(r.device_id, r.hour, r.hour + HOUR, Decimal(str(r.energy_kwh))) for r in rows
    ]
    result = price(intervals, versions, start, end)
    return {(c.device_id, c.start): c.cost.quantize(COST_QUANTUM) for c in result.intervals}


def stored_costs() -> dict:
    return {(c.device_id, c.hour): c.cost for c in HourlyCost.objects.all()}


def poll_days(plugs, start, days, rng, chunk=24):
    """Write the hours as polls would: some hours of every device, then tell billing."""
    for offset in range(0, days * 24, chunk):
        for plug in plugs:
            kwhs = [round(rng.uniform(0, 0.4), 6) for _ in range(chunk)]
            hours = write_hours(plug, start + HOUR * offset, kwhs, notify=False)
        rollups_updated.send(sender=Device, device_ids=[p.pk for p in plugs], hours=hours)


def test_stored_hourly_costs_equal_the_engine_price_for_the_same_data():
    services.rate_plan_save(COMBINED, now=utc(2024, 3, 1))
    plugs = devices(3)
    poll_days(plugs, utc(2024, 3, 12), 21, random.Random(5))  # spans a period start and DST
    assert stored_costs() == engine_costs(utc(2024, 3, 12), utc(2024, 4, 2))
    assert HourlyCost.objects.count() == 3 * 21 * 24


def test_a_late_reading_reprices_the_rest_of_its_billing_period_only():
    services.rate_plan_save(COMBINED, now=utc(2024, 3, 1))
    plugs = devices(2)
    poll_days(plugs, utc(2024, 3, 1), 20, random.Random(7), chunk=48)
    services.price_pending()  # the first plan's re-pricing of all history
    before = stored_costs()
    # A backfill adds 5 kWh on 3 March: every later hour up to the 15th moves up the tiers.
    rollup = HourlyRollup.objects.get(device=plugs[0], hour=utc(2024, 3, 3, 8))
    HourlyRollup.objects.filter(pk=rollup.pk).update(energy_kwh=rollup.energy_kwh + 5)
    stored = services.price_pending()
    after = stored_costs()
    assert after == engine_costs(utc(2024, 3, 1), utc(2024, 3, 21))
    period_start = utc(2024, 3, 14, 23)  # 15 March, Berlin midnight
    assert stored == 2 * int((period_start - utc(2024, 3, 3, 8)) / HOUR)
    changed = {key for key in after if after[key] != before[key]}
    assert max(hour for _, hour in changed) < period_start
    assert {key for key in changed if key[1] > utc(2024, 3, 3, 8)}  # reached tier 2 sooner


def test_hours_left_unpriced_are_priced_by_the_periodic_task():
    services.rate_plan_save({"rate_type": "simple", "rate_per_kwh": 0.2}, now=utc(2024, 1, 1))
    (plug,) = devices(1)
    write_hours(plug, utc(2024, 1, 2), [1.0, 2.0, 0.5], notify=False)
    assert not HourlyCost.objects.exists()
    assert services.price_pending() == 3
    assert selectors.hourly_costs(plug.pk, utc(2024, 1, 1), utc(2024, 2, 1)) == {
        utc(2024, 1, 2, 0): Decimal("0.2"),
        utc(2024, 1, 2, 1): Decimal("0.4"),
        utc(2024, 1, 2, 2): Decimal("0.1"),
    }
    assert services.price_pending() == 0  # nothing left


def test_the_device_history_shows_the_stored_costs(viewer_api):
    (plug,) = devices(1)
    write_hours(plug, utc(2024, 1, 2), [1.0, 2.5])  # priced with the default plan (0.12)
    url = f"/api/devices/{plug.pk}/history?start_time=2024-01-02T00:00:00Z&end_time=2024-01-02T02:00:00Z"
    points = viewer_api.get(url).json()
    assert [p["cost"] for p in points] == [0.12, 0.3]


def test_the_first_saved_plan_reprices_the_history_priced_with_the_default():
    (plug,) = devices(1)
    write_hours(plug, utc(2024, 1, 2), [1.0, 1.0])
    services.rate_plan_save({"rate_type": "simple", "rate_per_kwh": 0.3}, now=utc(2024, 2, 1))
    assert RepriceRequest.objects.exists()
    services.price_pending()
    assert selectors.cost_between([plug.pk], utc(2024, 1, 1), utc(2024, 2, 1)) == Decimal("0.6")
    assert not RepriceRequest.objects.exists()


def test_a_later_plan_never_reprices_the_hours_before_it():
    services.rate_plan_save({"rate_type": "simple", "rate_per_kwh": 0.1}, now=utc(2024, 1, 1))
    (plug,) = devices(1)
    write_hours(plug, utc(2024, 1, 2), [1.0] * 4)
    services.rate_plan_save({"rate_type": "simple", "rate_per_kwh": 0.5}, now=utc(2024, 1, 2, 2))
    services.price_pending()
    costs = selectors.hourly_costs([plug.pk], utc(2024, 1, 2), utc(2024, 1, 3))
    assert list(costs.values()) == [Decimal("0.1")] * 2 + [Decimal("0.5")] * 2


def test_a_plan_change_inside_an_hour_splits_that_hour():
    services.rate_plan_save({"rate_type": "simple", "rate_per_kwh": 0.1}, now=utc(2024, 1, 1))
    (plug,) = devices(1)
    write_hours(plug, utc(2024, 1, 2), [1.0])
    services.rate_plan_save(
        {"rate_type": "simple", "rate_per_kwh": 0.5}, now=utc(2024, 1, 2, 0, 15)
    )
    services.price_pending()
    # a quarter of the hour's kWh at 0.1, three quarters at 0.5
    assert selectors.cost_between([plug.pk], utc(2024, 1, 2), utc(2024, 1, 3)) == Decimal("0.4")


def test_the_worker_reprices_a_plan_change_in_a_process_of_its_own(monkeypatch):
    # The pricing of the last poll stays in the worker's thread; a whole re-pricing (years
    # of hours, perhaps) goes to kasamonitor.jobs, away from the polls.
    from billing import tasks

    heavy = []
    monkeypatch.setattr(tasks, "run_heavy", lambda task, function: heavy.append(function))
    (plug,) = devices(1)
    write_hours(plug, utc(2024, 1, 2), [1.0])
    tasks.price_pending()
    assert heavy == []

    services.rate_plan_save({"rate_type": "simple", "rate_per_kwh": 0.3}, now=utc(2024, 2, 1))
    tasks.price_pending()
    assert heavy == [services.price_pending]


def test_price_pending_looks_at_the_rollups_written_since_it_last_looked():
    services.rate_plan_save({"rate_type": "simple", "rate_per_kwh": 0.2}, now=utc(2024, 1, 1))
    services.price_pending()  # the plan's request, before any energy: billing has looked now
    (plug,) = devices(1)
    write_hours(plug, utc(2024, 1, 2), [1.0, 2.0], notify=False)  # as a poll the worker missed
    long_ago = timezone.now() - rollups.REACH - timedelta(minutes=1)
    HourlyRollup.objects.update(updated_at=long_ago)  # written before billing last looked
    assert services.price_pending() == 0  # not looked at again: the run reads few rows

    RollupWatermark.objects.all().delete()  # never looked (as after the upgrade): all rows
    assert services.price_pending() == 2
    assert selectors.cost_between([plug.pk], utc(2024, 1, 2), utc(2024, 1, 3)) == Decimal("0.6")

    write_hours(plug, utc(2024, 1, 2, 1), [3.0], notify=False)  # a write since: looked at
    assert services.price_pending() == 1
    assert selectors.cost_between([plug.pk], utc(2024, 1, 2), utc(2024, 1, 3)) == Decimal("0.8")
