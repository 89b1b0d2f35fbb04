"""The one detection of appliance runs (devices/runs.py), on constructed power samples: the
insights app's runs and the monitoring app's "appliance finished" alert both use it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devices import runs
from insights import services
from insights.models import ApplianceRun, ApplianceSettings
from monitoring.models import Alert
from tests.factories import DeviceFactory
from tests.insights.support import utc
from tests.monitoring.factories import RuleFactory, add_readings

MINUTE = timedelta(minutes=1)
T0 = utc(2025, 6, 10, 10, 0)


def samples(powers, every=MINUTE, start=T0):
    return [(start + n * every, p) for n, p in enumerate(powers)]


def spans(found):
    """Each burst as (start minute, end minute, stopped) from T0."""
    return [(int((b.start - T0) / MINUTE), int((b.end - T0) / MINUTE), b.stopped) for b in found]


def test_nothing_at_or_above_the_threshold_is_no_run():
    assert runs.bursts([], 10, 5 * MINUTE) == []
    assert runs.bursts(samples([0, 9.9, None, 3]), 10, 5 * MINUTE) == []


def test_a_run_lasts_from_its_first_reading_above_to_the_one_that_sees_it_off():
    found = runs.runs(samples([0, 10, 500, 500, 0, 0]), 10, 3 * MINUTE, 2 * MINUTE)
    assert spans(found) == [(1, 4, True)]  # at or above 10 W from minute 1; off at 4


def test_a_pause_shorter_than_the_gap_is_part_of_the_run_and_a_longer_one_ends_it():
    # Quiet from minute 3 to 6 (3 minutes) then quiet from minute 9 to 13 (4 minutes).
    powers = [500] * 3 + [1] * 3 + [500] * 3 + [1] * 4 + [500] * 2 + [0]
    assert spans(runs.bursts(samples(powers), 10, 4 * MINUTE)) == [(0, 9, True), (13, 15, True)]
    assert spans(runs.bursts(samples(powers), 10, 5 * MINUTE)) == [(0, 15, True)]
    assert spans(runs.bursts(samples(powers), 10, 3 * MINUTE)) == [
        (0, 3, True), (6, 9, True), (13, 15, True)
    ]  # fmt: skip


def test_missing_readings_within_the_gap_keep_the_run_going():
    # Polls lost for 3 minutes while it ran (minutes 2 and 6 are 4 minutes apart).
    found = samples([500, 500, 500]) + samples([500, 0], start=T0 + 6 * MINUTE)
    assert spans(runs.bursts(found, 10, 4 * MINUTE)) == [(0, 7, True)]
    assert spans(runs.bursts(found, 10, 3 * MINUTE)) == [(0, 2, False), (6, 7, True)]


def test_short_bursts_are_not_runs_and_a_run_that_has_not_stopped_is_not_over():
    powers = [2000, 2000, 0, 0, 0] + [600] * 10
    assert spans(runs.runs(samples(powers), 10, 5 * MINUTE, 2 * MINUTE)) == [(5, 14, False)]
    last = runs.bursts(samples(powers), 10, 2 * MINUTE)[-1]
    assert not runs.is_over(last, T0 + 15 * MINUTE, 2 * MINUTE)
    assert runs.is_over(last, T0 + 16 * MINUTE, 2 * MINUTE)


def test_a_burst_longer_than_the_longest_is_cut():
    found = runs.bursts(samples([100] * 10), 10, 2 * MINUTE, longest=4 * MINUTE)
    assert spans(found) == [(0, 4, False), (5, 9, False)]


def test_the_finished_verdict_follows_the_last_burst():
    washing = [500] * 20 + [1, 1] + [450] * 18 + [0.5] * 4  # 40 minutes with a soak pause
    now = T0 + 43 * MINUTE
    state, minutes = runs.finished(samples(washing), now, 5, 30 * MINUTE, 3 * MINUTE)
    assert (state, minutes) == (True, 40.0)
    # Still settling one minute after it stopped; running; too short to count.
    assert runs.finished(samples(washing), now - 2 * MINUTE, 5, 30 * MINUTE, 3 * MINUTE)[0] is None
    assert runs.finished(samples(washing[:30]), now, 5, 30 * MINUTE, 3 * MINUTE)[0] is False
    kettle = [0] * 5 + [2000] * 4 + [0] * 5
    assert runs.finished(samples(kettle), T0 + 13 * MINUTE, 5, 30 * MINUTE, 3 * MINUTE) == (
        None, 4.0
    )  # fmt: skip


@pytest.mark.django_db
def test_the_alert_and_the_runs_list_see_the_same_run():
    """The washer's rule and its run settings agree (5 W, 30 minutes, 3-minute pauses):
    the alert's run minutes are the stored run's duration."""
    washer = DeviceFactory(alias="Washer")
    RuleFactory(
        kind="appliance_finished", device=washer, threshold=5, duration_minutes=30,
        settle_minutes=3, severity="info",
    )  # fmt: skip
    ApplianceSettings.objects.create(
        device=washer, kind="washer", threshold_w=5, min_run_minutes=30, max_gap_minutes=3
    )
    # Soak pauses of 2 minutes (joined) and then 4 idle minutes: the washer is done.
    add_readings(washer, [500] * 20 + [1, 1] + [450] * 18 + [0.5] * 4)
    from monitoring import services as monitoring_services

    monitoring_services.evaluate_power_rules([washer.pk])
    (alert,) = Alert.objects.filter(device=washer, resolved_at__isnull=True)
    services.appliance_runs_detect([washer.pk], now=timezone.now())
    run = ApplianceRun.objects.get(device=washer)
    assert alert.details["run_minutes"] == (run.end - run.start).total_seconds() / 60 == 40.0
