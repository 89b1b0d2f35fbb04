"""A seasonal time-of-use + tier plan over a whole year, against twelve bills done by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.engine import Interval, price
from billing.plans import normalise_plan

D = Decimal
TOKYO = ZoneInfo("Asia/Tokyo")  # UTC+9: local months start 9 hours before UTC months

# The original product's vocabulary. Combined formula: the time-of-use rate of the hour plus
# the tier rate of the household's position in the month (a tier rate is an adder).
PLAN = normalise_plan(
    {
        "rate_type": "seasonal_tiered",
        "currency": "USD",
        "timezone": "Asia/Tokyo",
        "rate_config": {
            "monthly_service_charge": 5,
            "seasonal_rates": [
                {
                    "start_month": 6,
                    "end_month": 9,
                    "description": "Summer",
                    "time_of_use_rates": [
                        {
                            "start_hour": 16,
                            "end_hour": 21,
                            "rate_per_kwh": 0.20,
                            "description": "Peak",
                        },
                        {
                            "start_hour": 21,
                            "end_hour": 16,
                            "rate_per_kwh": 0.10,
                            "description": "Off-peak",
                        },
                    ],
                    "tier_rates": [
                        {"min_kwh": 0, "max_kwh": 300, "rate_per_kwh": 0},
                        {"min_kwh": 300, "max_kwh": None, "rate_per_kwh": 0.05},
                    ],
                },
                {
                    "start_month": 10,
                    "end_month": 5,
                    "description": "Winter",
                    "time_of_use_rates": [
                        {"start_hour": 16, "end_hour": 21, "rate_per_kwh": 0.15},
                        {"start_hour": 21, "end_hour": 16, "rate_per_kwh": 0.08},
                    ],
                    "tier_rates": [
                        {"min_kwh": 0, "max_kwh": 400, "rate_per_kwh": 0},
                        {"min_kwh": 400, "max_kwh": None, "rate_per_kwh": 0.04},
                    ],
                },
            ],
        },
    }
)


def a_year_of_evenings() -> list[Interval]:
    """Each local hour of 2023: 1 kWh from 16:00 to 21:00, 0.5 kWh otherwise (14.5 kWh a day)."""
    first = datetime(2023, 1, 1, tzinfo=TOKYO)
    items = []
    for h in range(365 * 24):
        start = first + timedelta(hours=h)
        kwh = D("1") if 16 <= start.hour < 21 else D("0.5")
        items.append(Interval("house", start, start + timedelta(hours=1), kwh))
    return items


def hand_bill(
    days: int, peak: Decimal, off_peak: Decimal, tier_limit: int, adder: Decimal
) -> Decimal:
    """One month: 5 peak kWh and 9.5 off-peak kWh a day, plus the adder above the tier limit."""
    time_of_use = days * (5 * peak + D("9.5") * off_peak)
    tier = adder * max(D(0), days * D("14.5") - tier_limit)
    return time_of_use + tier + 5


def summer(days: int) -> Decimal:
    return hand_bill(days, D("0.20"), D("0.10"), 300, D("0.05"))


def winter(days: int) -> Decimal:
    return hand_bill(days, D("0.15"), D("0.08"), 400, D("0.04"))


EXPECTED = {
    1: winter(31),  # 31 x 1.51 = 46.81 + 49.5 kWh x 0.04 = 1.98 + 5 = 53.79
    2: winter(28),  # 42.28 + 6 x 0.04 = 0.24 + 5 = 47.52
    3: winter(31),
    4: winter(30),  # 45.30 + 35 x 0.04 = 1.40 + 5 = 51.70
    5: winter(31),
    6: summer(30),  # 30 x 1.95 = 58.50 + 135 x 0.05 = 6.75 + 5 = 70.25
    7: summer(31),  # 60.45 + 149.5 x 0.05 = 7.475 + 5 = 72.925
    8: summer(31),
    9: summer(30),
    10: winter(31),
    11: winter(30),
    12: winter(31),
}


def test_a_year_of_seasonal_time_of_use_and_tiers_matches_twelve_hand_bills():
    result = price(
        a_year_of_evenings(),
        [(datetime(2023, 1, 1, tzinfo=TOKYO), PLAN)],
        datetime(2023, 1, 1, tzinfo=TOKYO),
        datetime(2024, 1, 1, tzinfo=TOKYO),
    )

    by_month = {m: sum(d.cost for d in result.days if d.date.month == m) for m in range(1, 13)}
    assert by_month == EXPECTED
    assert (EXPECTED[2], EXPECTED[6], EXPECTED[7]) == (D("47.52"), D("70.25"), D("72.925"))
    assert result.total_kwh == 365 * D("14.5")
    assert result.total_cost == sum(EXPECTED.values()) == D("706.22")
    assert len(result.periods) == 12
    assert result.currency == "USD"


def test_the_season_follows_the_local_month():
    # 2023-05-31 23:00 JST is 14:00 UTC; 2023-06-01 00:00 JST is 15:00 UTC, still May in UTC.
    last_may = Interval(
        "house", datetime(2023, 5, 31, 23, tzinfo=TOKYO), datetime(2023, 6, 1, tzinfo=TOKYO), 1
    )
    first_june = Interval(
        "house", datetime(2023, 6, 1, tzinfo=TOKYO), datetime(2023, 6, 1, 1, tzinfo=TOKYO), 1
    )

    result = price(
        [last_may, first_june],
        [(datetime(2023, 1, 1, tzinfo=TOKYO), PLAN)],
        datetime(2023, 5, 31, tzinfo=TOKYO),
        datetime(2023, 6, 2, tzinfo=TOKYO),
    )

    assert [i.energy for i in result.intervals] == [D("0.08"), D("0.10")]  # winter, then summer
    assert [d.date for d in result.days] == [date(2023, 5, 31), date(2023, 6, 1)]


def test_an_interval_across_a_season_change_is_split_by_time():
    flat_seasons = normalise_plan(
        {
            "rate_type": "seasonal",
            "timezone": "Asia/Tokyo",
            "seasonal_rates": [
                {"start_month": 6, "end_month": 9, "base_rate": "0.20"},
                {"start_month": 10, "end_month": 5, "base_rate": "0.10"},
            ],
        }
    )
    across = Interval(
        "house", datetime(2023, 5, 31, 23, tzinfo=TOKYO), datetime(2023, 6, 1, 1, tzinfo=TOKYO), 2
    )

    result = price(
        [across],
        [(datetime(2023, 1, 1, tzinfo=TOKYO), flat_seasons)],
        datetime(2023, 5, 1, tzinfo=TOKYO),
        datetime(2023, 7, 1, tzinfo=TOKYO),
    )

    assert result.total_cost == 1 * D("0.10") + 1 * D("0.20")  # an hour of each season
