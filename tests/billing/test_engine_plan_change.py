"""A plan change mid-month: energy before and after at their own plans, past costs unchanged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from billing.engine import Interval, data_window, local_range, present, price
from billing.plans import effective_from, normalise_plan

D = Decimal


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def march(kwh_per_hour: str = "1") -> list[Interval]:
    first = utc(2024, 3, 1)
    return [
        Interval(
            "house", first + timedelta(hours=h), first + timedelta(hours=h + 1), D(kwh_per_hour)
        )
        for h in range(31 * 24)
    ]


def plan(**fields: object) -> dict:
    return normalise_plan({"currency": "USD", "timezone": "UTC", **fields})


OLD = plan(rate_type="simple", rate_per_kwh="0.10", monthly_service_charge="9.30")
NEW = plan(
    rate_type="simple",
    rate_per_kwh="0.20",
    monthly_service_charge="12.40",
    effective_date="2024-03-11",
)
CHANGE = effective_from(NEW)
MARCH = (utc(2024, 3, 1), utc(2024, 4, 1))


def test_energy_before_and_after_a_change_is_priced_by_its_own_plan():
    result = price(march(), [(utc(2024, 1, 1), OLD), (CHANGE, NEW)], *MARCH)

    # Mar 1-10: 240 kWh x 0.10 = 24.00; Mar 11-31: 504 kWh x 0.20 = 100.80
    # Service charge by time in force: 9.30 x 10/31 + 12.40 x 21/31 = 3.00 + 8.40 = 11.40
    energy = 240 * D("0.10") + 504 * D("0.20")
    service = D("9.30") * 10 / 31 + D("12.40") * 21 / 31
    assert effective_from(NEW) == utc(2024, 3, 11)
    assert sum(i.energy for i in result.intervals) == energy == D("124.80")
    assert abs(result.periods[0].service - service) < D("1e-18")
    assert present(result.total_cost) == D("136.20")
    assert len(result.periods) == 1  # still one bill for March


def test_adding_a_plan_never_rewrites_past_costs():
    before = price(march(), [(utc(2024, 1, 1), OLD)], *MARCH)
    after = price(march(), [(utc(2024, 1, 1), OLD), (CHANGE, NEW)], *MARCH)

    old_days = [d for d in before.days if d.date < date(2024, 3, 11)]
    assert [d.energy for d in after.days[:10]] == [d.energy for d in old_days] == [D("2.4")] * 10


def test_tiers_keep_counting_across_a_change_inside_the_period():
    tiers_old = plan(
        rate_type="tiered",
        rate_structure={"tier1_limit": 300, "tier1_rate": "0.10", "tier2_rate": "0.20"},
    )
    tiers_new = plan(
        rate_type="tiered",
        rate_structure={"tier1_limit": 300, "tier1_rate": "0.12", "tier2_rate": "0.25"},
    )

    result = price(march(), [(utc(2024, 1, 1), tiers_old), (CHANGE, tiers_new)], *MARCH)

    # 240 kWh before the change, all tier 1 of the old plan: 24.00. After it the household
    # is at 240 kWh: 60 kWh more in tier 1 at the new 0.12 = 7.20, then 444 kWh at 0.25 = 111.00.
    assert result.total_cost == 240 * D("0.10") + 60 * D("0.12") + 444 * D("0.25") == D("142.20")


def test_a_new_cycle_day_moves_the_next_period_boundary():
    cycle_15 = plan(
        rate_type="simple",
        rate_per_kwh="0.10",
        billing_cycle_start_day=15,
        monthly_service_charge=6,
    )
    versions = [(utc(2024, 1, 1), OLD), (CHANGE, cycle_15)]

    assert data_window(versions, *MARCH) == (utc(2024, 3, 1), utc(2024, 4, 15))
    result = price(march(), versions, *MARCH)

    # Mar 1 - Mar 15 is a short period of the old cycle (10 days old plan, 4 days new one);
    # the new plan's first full period starts on the 15th.
    assert [(p.start, p.end) for p in result.periods] == [
        (utc(2024, 3, 1), utc(2024, 3, 15)),
        (utc(2024, 3, 15), utc(2024, 4, 15)),
    ]
    assert abs(result.periods[0].service - (D("9.30") * 10 / 14 + 6 * D(4) / 14)) < D("1e-18")
    assert result.periods[1].service == 6


def test_plans_in_one_range_must_share_a_currency():
    euros = plan(rate_type="simple", rate_per_kwh="0.10", currency="EUR")

    with pytest.raises(ValueError, match="currencies"):
        price(march(), [(utc(2024, 1, 1), OLD), (CHANGE, euros)], *MARCH)


def test_charges_are_shared_by_real_time_in_force_across_a_dst_change():
    def new_york(**fields: object) -> dict:
        return plan(rate_type="simple", rate_per_kwh=0, timezone="America/New_York", **fields)

    old, new = new_york(monthly_service_charge="7.43"), new_york(monthly_service_charge="14.86")
    versions = [
        (utc(2024, 1, 1), old),
        (effective_from({**new, "effective_date": "2024-03-11"}), new),
    ]

    result = price([], versions, *local_range(new, date(2024, 3, 1), date(2024, 3, 31)))

    # March in New York lasts 743 hours (the clocks skip one on the 10th). The old plan is in
    # force until Mar 11 00:00 EDT: 10 days less that hour = 239 h; the new one 504 h.
    # 7.43 / 743 h = 0.01 an hour; 14.86 / 743 h = 0.02 an hour.
    expected = 239 * D("0.01") + 504 * D("0.02")  # 2.39 + 10.08 = 12.47
    assert abs(result.periods[0].service - expected) < D("1e-18")
    assert result.periods[0].start.isoformat() == "2024-03-01T00:00:00-05:00"
