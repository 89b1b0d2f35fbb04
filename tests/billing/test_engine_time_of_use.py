"""Time-of-use bands follow the local clock in the tariff's zone, through both DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.engine import Interval, local_range, price
from billing.plans import normalise_plan

D = Decimal
NEW_YORK = ZoneInfo("America/New_York")
OFF_PEAK, SHOULDER, PEAK = D("0.05"), D("0.10"), D("0.30")

# Bands change at local 02:00, 17:00 and 21:00; the off-peak band wraps past midnight.
TOU = normalise_plan(
    {
        "rate_type": "time_of_use",
        "currency": "USD",
        "timezone": "America/New_York",
        "time_of_use_rates": [
            {"start_hour": 21, "end_hour": 2, "rate": "0.05", "label": "Off-peak"},
            {"start_hour": 2, "end_hour": 17, "rate": "0.10", "label": "Shoulder"},
            {"start_hour": 17, "end_hour": 21, "rate": "0.30", "label": "Peak"},
        ],
    }
)
VERSIONS = [(datetime(2024, 1, 1, tzinfo=NEW_YORK), TOU)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local_day(day: date) -> tuple[datetime, datetime]:
    return local_range(TOU, day, day)


def one_kwh_every_hour(start: datetime, end: datetime) -> list[Interval]:
    """Hourly rollups on the UTC hour, 1 kWh each, covering [start, end)."""
    first = start.astimezone(UTC)
    hours = (end.astimezone(UTC) - first) // timedelta(hours=1)
    return [
        Interval("heat-pump", first + timedelta(hours=h), first + timedelta(hours=h + 1), D(1))
        for h in range(hours)
    ]


def test_the_23_hour_spring_day_skips_two_oclock():
    start, end = local_day(date(2024, 3, 10))  # clocks go 01:59 EST -> 03:00 EDT
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)

    result = price(one_kwh_every_hour(start, end), VERSIONS, start, end)

    # Local hours 00, 01 and 21-23 are off-peak (5 h); 03-16 shoulder (14 h, there is no
    # 02:00); 17-20 peak (4 h).
    assert result.total_kwh == 23
    assert result.total_cost == 5 * OFF_PEAK + 14 * SHOULDER + 4 * PEAK == D("2.85")
    assert [d.date for d in result.days] == [date(2024, 3, 10)]


def test_the_25_hour_autumn_day_prices_the_repeated_hour_twice_off_peak():
    start, end = local_day(date(2024, 11, 3))  # clocks go 01:59 EDT -> 01:00 EST
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)

    result = price(one_kwh_every_hour(start, end), VERSIONS, start, end)

    # Off-peak: 00, 01 (EDT), 01 (EST), 21-23 = 6 h; shoulder 02-16 = 15 h; peak 17-20 = 4 h.
    assert result.total_kwh == 25
    assert result.total_cost == 6 * OFF_PEAK + 15 * SHOULDER + 4 * PEAK == D("3.00")


def test_an_interval_across_the_spring_jump_is_split_where_the_clock_jumps():
    # 06:30-07:30 UTC on Mar 10 is 01:30 EST -> 03:30 EDT: half off-peak, half shoulder.
    item = Interval("heat-pump", utc(2024, 3, 10, 6, 30), utc(2024, 3, 10, 7, 30), D(1))

    result = price([item], VERSIONS, *local_day(date(2024, 3, 10)))

    assert result.total_cost == D("0.5") * OFF_PEAK + D("0.5") * SHOULDER  # 0.075


def test_an_interval_across_the_autumn_change_keeps_the_repeated_hour_off_peak():
    repeated = Interval("heat-pump", utc(2024, 11, 3, 5, 30), utc(2024, 11, 3, 6, 30), D(1))
    leaving = Interval("heat-pump", utc(2024, 11, 3, 6, 30), utc(2024, 11, 3, 7, 30), D(1))

    result = price([repeated, leaving], VERSIONS, *local_day(date(2024, 11, 3)))

    # 01:30 EDT -> 01:30 EST is all off-peak; 01:30 EST -> 02:30 EST is half and half.
    assert [i.cost for i in result.intervals] == [
        OFF_PEAK,
        D("0.5") * OFF_PEAK + D("0.5") * SHOULDER,
    ]


def test_a_band_edge_inside_the_repeated_hour_cuts_both_times_it_is_lived():
    half_past_one = normalise_plan(
        {
            "rate_type": "time_of_use",
            "timezone": "America/New_York",
            "time_of_use_rates": [
                {"start": "00:00", "end": "01:30", "rate": "0.10"},
                {"start": "01:30", "end": "24:00", "rate": "0.20"},
            ],
        }
    )
    first = Interval("heat-pump", utc(2024, 11, 3, 5), utc(2024, 11, 3, 6), D(1))  # 01:00-02:00 EDT
    second = Interval(
        "heat-pump", utc(2024, 11, 3, 6), utc(2024, 11, 3, 7), D(1)
    )  # 01:00-02:00 EST

    result = price(
        [first, second], [(utc(2024, 1, 1), half_past_one)], *local_day(date(2024, 11, 3))
    )

    half_and_half = D("0.5") * D("0.10") + D("0.5") * D("0.20")
    assert [i.cost for i in result.intervals] == [half_and_half, half_and_half]


def test_a_band_edge_inside_the_skipped_hour_takes_effect_when_the_clock_jumps():
    half_past_two = normalise_plan(
        {
            "rate_type": "time_of_use",
            "timezone": "America/New_York",
            "time_of_use_rates": [
                {"start": "00:00", "end": "02:30", "rate": "0.10"},
                {"start": "02:30", "end": "00:00", "rate": "0.20"},
            ],
        }
    )
    # 06:40-07:20 UTC is 01:40 EST -> 03:20 EDT: 20 minutes before the jump, 20 after it.
    item = Interval("heat-pump", utc(2024, 3, 10, 6, 40), utc(2024, 3, 10, 7, 20), D(4))

    result = price([item], [(utc(2024, 1, 1), half_past_two)], *local_day(date(2024, 3, 10)))

    assert result.total_cost == 2 * D("0.10") + 2 * D("0.20")  # 0.60


def test_midnight_splits_days_by_the_local_clock():
    # 04:30-05:30 UTC on Jan 16 is 23:30-00:30 EST: half on each local day, both off-peak.
    item = Interval("heat-pump", utc(2024, 1, 16, 4, 30), utc(2024, 1, 16, 5, 30), D(2))

    result = price(
        [item],
        VERSIONS,
        datetime(2024, 1, 15, tzinfo=NEW_YORK),
        datetime(2024, 1, 17, tzinfo=NEW_YORK),
    )

    assert [(d.date, d.kwh, d.cost) for d in result.days] == [
        (date(2024, 1, 15), D(1), OFF_PEAK),
        (date(2024, 1, 16), D(1), OFF_PEAK),
    ]


def test_weekday_bands_apply_on_the_local_weekday():
    weekdays_peak = normalise_plan(
        {
            "rate_type": "time_of_use",
            "timezone": "America/New_York",
            "time_of_use_rates": [
                {"start_hour": 0, "end_hour": 0, "rate_per_kwh": 0.08, "days_of_week": [5, 6]},
                {
                    "start_hour": 0,
                    "end_hour": 12,
                    "rate_per_kwh": 0.08,
                    "days_of_week": [0, 1, 2, 3, 4],
                },
                {
                    "start_hour": 12,
                    "end_hour": 0,
                    "rate_per_kwh": 0.25,
                    "days_of_week": [0, 1, 2, 3, 4],
                },
            ],
        }
    )
    # Friday Jan 19 2024 22:00 EST is Saturday 03:00 UTC: priced as Friday evening.
    friday_evening = Interval("oven", utc(2024, 1, 20, 3), utc(2024, 1, 20, 4), D(1))
    saturday_noon = Interval("oven", utc(2024, 1, 20, 17), utc(2024, 1, 20, 18), D(1))

    result = price(
        [friday_evening, saturday_noon],
        [(utc(2024, 1, 1), weekdays_peak)],
        datetime(2024, 1, 19, tzinfo=NEW_YORK),
        datetime(2024, 1, 21, tzinfo=NEW_YORK),
    )

    assert [i.cost for i in result.intervals] == [D("0.25"), D("0.08")]


def test_hours_no_period_covers_fall_back_on_the_local_clock():
    # Weekdays: only 07:00-19:00 is a period; weekends have none. Uncovered hours cost the
    # first period's rate, or default_rate when the plan gives one.
    periods = [{"start_hour": 7, "end_hour": 19, "rate": "0.30", "days_of_week": [0, 1, 2, 3, 4]}]
    plan = {
        "rate_type": "time_of_use",
        "timezone": "America/New_York",
        "time_of_use_rates": periods,
    }
    # Friday Jan 19 2024: 18:30-19:30 EST straddles the end of the period; Saturday noon has none.
    items = [
        Interval("oven", utc(2024, 1, 19, 23, 30), utc(2024, 1, 20, 0, 30), D(2)),
        Interval("oven", utc(2024, 1, 20, 17), utc(2024, 1, 20, 18), D(1)),
    ]
    week = (datetime(2024, 1, 19, tzinfo=NEW_YORK), datetime(2024, 1, 21, tzinfo=NEW_YORK))

    first_rate = price(items, [(utc(2024, 1, 1), normalise_plan(plan))], *week)
    with_default = price(
        items, [(utc(2024, 1, 1), normalise_plan({**plan, "default_rate": "0.05"}))], *week
    )

    assert [i.cost for i in first_rate.intervals] == [D("0.60"), D("0.30")]
    assert [i.cost for i in with_default.intervals] == [D("0.35"), D("0.05")]  # 0.30 + 0.05


def test_a_season_prices_its_uncovered_hours_at_its_own_default_rate():
    plan = normalise_plan(
        {
            "rate_type": "seasonal",
            "timezone": "UTC",
            "seasonal_rates": [
                {"start_month": 1, "end_month": 6, "default_rate": "0.02",
                 "time_of_use_rates": [{"start_hour": 0, "end_hour": 12, "rate": "0.10"}]},
                {"start_month": 7, "end_month": 12,
                 "time_of_use_rates": [{"start_hour": 0, "end_hour": 12, "rate": "0.20"}]},
            ],
        }
    )  # fmt: skip
    items = [
        Interval("pump", utc(2024, 3, 1, 15), utc(2024, 3, 1, 16), D(1)),
        Interval("pump", utc(2024, 8, 1, 15), utc(2024, 8, 1, 16), D(1)),
    ]

    result = price(items, [(utc(2024, 1, 1), plan)], utc(2024, 1, 1), utc(2025, 1, 1))

    assert [i.cost for i in result.intervals] == [D("0.02"), D("0.20")]
