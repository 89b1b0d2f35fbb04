"""The energy maths: kWh from the cumulative counter, gaps, resets and backfilled days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devices.ingest import Previous, Sample, contributions

UTC_TZ = ZoneInfo("UTC")
T0 = datetime(2026, 3, 10, 10, 30, tzinfo=UTC)


def run(prev, sample, cap=300.0, tz=UTC_TZ):
    return contributions(prev, sample, tz=tz, cap_seconds=cap)


def test_the_first_reading_counts_no_energy():
    result = run(Previous(), Sample(T0, True, 100.0, 5.0))
    assert result.energy_delta_kwh == 0
    assert result.hours[T0.replace(minute=0)].samples == 1


def test_energy_is_the_counters_difference():
    result = run(Previous(T0, 5.0, 100.0), Sample(T0 + timedelta(minutes=1), True, 100.0, 5.002))
    assert result.energy_delta_kwh == pytest.approx(0.002)
    assert sum(b.energy_kwh for b in result.hours.values()) == pytest.approx(0.002)


def test_an_hour_without_polling_loses_no_kwh_and_spreads_it_over_the_hours():
    later = T0 + timedelta(hours=1)  # the worker was stopped for an hour
    result = run(Previous(T0, 5.0, 100.0), Sample(later, True, 100.0, 5.1))
    assert result.energy_delta_kwh == pytest.approx(0.1)
    hours = {h.hour: b.energy_kwh for h, b in result.hours.items()}
    assert hours == {10: pytest.approx(0.05), 11: pytest.approx(0.05)}


def test_a_counter_reset_falls_back_to_power_times_time():
    result = run(Previous(T0, 50.0, 120.0), Sample(T0 + timedelta(minutes=1), True, 120.0, 0.01))
    assert result.energy_delta_kwh == pytest.approx(120 * 60 / 3_600_000)


def test_power_times_time_is_capped_for_long_gaps_without_a_counter():
    result = run(Previous(T0, None, 100.0), Sample(T0 + timedelta(days=1), True, 100.0, None))
    assert result.energy_delta_kwh == pytest.approx(100 * 300 / 3_600_000)


def test_whole_missed_days_take_the_devices_own_daily_statistics():
    later = datetime(2026, 3, 13, 6, 0, tzinfo=UTC)  # 11th and 12th were missed entirely
    history = {date(2026, 3, 11): 1.2, date(2026, 3, 12): 0.8, date(2026, 3, 13): 9.9}
    result = run(Previous(T0, 10.0, 50.0), Sample(later, True, 50.0, 13.0, history))

    assert result.energy_delta_kwh == pytest.approx(3.0)  # the counter's difference
    assert result.days[date(2026, 3, 11)].energy_kwh == pytest.approx(1.2)
    assert result.days[date(2026, 3, 12)].energy_kwh == pytest.approx(0.8)
    assert result.days[date(2026, 3, 11)].backfilled
    # the remaining 1.0 kWh is spread over the partial days by duration (13.5 h vs 6 h)
    assert result.days[date(2026, 3, 10)].energy_kwh == pytest.approx(1.0 * 13.5 / 19.5)
    assert result.days[date(2026, 3, 13)].energy_kwh == pytest.approx(1.0 * 6 / 19.5)


def test_backfilled_days_are_counted_even_after_a_counter_reset():
    later = datetime(2026, 3, 12, 1, 0, tzinfo=UTC)
    history = {date(2026, 3, 11): 2.0}
    result = run(Previous(T0, 10.0, 0.0), Sample(later, False, 0.0, 0.5, history))
    assert result.energy_delta_kwh == pytest.approx(2.0)


def test_on_time_is_credited_to_the_hours_it_spans():
    result = run(
        Previous(T0, 1.0, 10.0), Sample(T0 + timedelta(minutes=40), True, 10.0, 1.0), cap=3600
    )
    assert {h.hour: b.on_seconds for h, b in result.hours.items()} == {10: 1800, 11: 600}


def test_local_days_follow_the_configured_time_zone():
    tz = ZoneInfo("America/New_York")
    at = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # still the 9th in New York
    result = run(Previous(at - timedelta(minutes=1), 1.0, 1.0), Sample(at, True, 1.0, 1.001), tz=tz)
    assert list(result.days) == [date(2026, 3, 9)]


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "Asia/Kolkata", "America/St_Johns"])
def test_the_one_hour_shortcut_gives_what_the_general_split_gives(monkeypatch, zone):
    import random
    from dataclasses import asdict

    from devices import ingest

    rng, tz = random.Random(zone), ZoneInfo(zone)
    start = datetime(2026, 3, 28, 12, tzinfo=UTC)  # spans the European DST change
    for _ in range(300):
        then = start + timedelta(seconds=rng.randrange(0, 2 * 86400))
        now = then + timedelta(seconds=rng.randrange(1, 900))
        counter = rng.choice([None, 5.0])
        prev = Previous(then.astimezone(tz), counter, rng.choice([None, 80.0]))
        sample = Sample(now.astimezone(tz), rng.choice([True, False, None]),
                        rng.choice([None, 95.0]), counter and counter + rng.random() / 100)  # fmt: skip
        cap = rng.choice([60.0, 300.0, 3600.0])

        fast = contributions(prev, sample, tz=tz, cap_seconds=cap)
        with monkeypatch.context() as m:
            m.setattr(ingest, "_within_hour", lambda prev, sample, hour: False)
            general = contributions(prev, sample, tz=tz, cap_seconds=cap)

        assert fast.energy_delta_kwh == pytest.approx(general.energy_delta_kwh)
        for mine, theirs in ((fast.hours, general.hours), (fast.days, general.days)):
            assert mine.keys() == theirs.keys()
            for key in mine:
                assert asdict(mine[key]) == pytest.approx(asdict(theirs[key]))


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Kolkata"])
def test_folding_a_run_of_samples_adds_up_what_each_contributes(zone):
    import random
    from dataclasses import asdict

    from devices.ingest import Bucket, fold

    rng, tz = random.Random(zone), ZoneInfo(zone)
    at, total, samples = datetime(2026, 3, 28, 20, tzinfo=UTC), 5.0, []
    for _ in range(2000):  # mostly a minute apart, with gaps, resets and missing values
        at += timedelta(seconds=rng.choice([60, 60, 60, 61, 59, 1800, 7200]))
        total = rng.choice([total + rng.random() / 100, total + 0.001, 0.0])
        samples.append(Sample(at, rng.choice([True, True, False, None]),
                              rng.choice([95.0, 120.0, None]), rng.choice([total, None])))  # fmt: skip

    hours, days = {}, {}
    rows = [(s.at, s.is_on, s.power_w, s.energy_total_kwh) for s in samples]
    last = fold(rows, Previous(), tz=tz, cap_seconds=300.0, hours=hours, days=days)

    want_hours, want_days, prev = {}, {}, Previous()
    for sample in samples:
        gained = contributions(prev, sample, tz=tz, cap_seconds=300.0)
        for key, bucket in gained.hours.items():
            want_hours.setdefault(key, Bucket()).add(bucket)
        for key, bucket in gained.days.items():
            want_days.setdefault(key, Bucket()).add(bucket)
        prev = Previous(sample.at, sample.energy_total_kwh, sample.power_w)
    assert last == prev
    for mine, theirs in ((hours, want_hours), (days, want_days)):
        assert mine.keys() == theirs.keys()
        for key in mine:
            assert asdict(mine[key]) == pytest.approx(asdict(theirs[key]))
