"""Rollup writes add to what is stored, in SQL, whatever the database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from devices import rollups
from devices.ingest import Bucket
from devices.models import DailyRollup, HourlyRollup
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

HOUR = datetime(2026, 3, 1, 10, tzinfo=UTC)
DAY = date(2026, 3, 1)


def test_writes_to_the_same_hour_and_day_add_up():
    device = DeviceFactory()
    rollups.write([], {(device.pk, HOUR): Bucket(0.5, 1000.0, 2, 600.0, 120.0)}, {})

    rollups.write(
        [],
        {(device.pk, HOUR): Bucket(0.25, 400.0, 1, 450.0, 60.0)},
        {(device.pk, DAY): Bucket(0.25, 400.0, 1, 450.0, 60.0, backfilled=True)},
    )
    rollups.write([], {}, {(device.pk, DAY): Bucket(0.1, 100.0, 1, 900.0, 30.0)})

    hour = HourlyRollup.objects.get(device=device, hour=HOUR)
    assert (hour.energy_kwh, hour.power_sum_w, hour.samples) == (0.75, 1400.0, 3)
    assert (hour.max_power_w, hour.on_seconds) == (600.0, 180.0)
    day = DailyRollup.objects.get(device=device, day=DAY)
    assert (day.energy_kwh, day.samples, day.max_power_w) == (pytest.approx(0.35), 2, 900.0)
    assert day.backfilled is True  # once backfilled, stays marked


def test_other_devices_and_hours_are_left_alone():
    device, other = DeviceFactory(), DeviceFactory()
    rollups.write([], {(other.pk, HOUR): Bucket(1.0, 10.0, 1, 10.0, 0.0)}, {})

    rollups.write([], {(device.pk, HOUR): Bucket(0.5, 5.0, 1, 5.0, 0.0)}, {})

    assert HourlyRollup.objects.get(device=other).energy_kwh == 1.0
    assert HourlyRollup.objects.get(device=device).energy_kwh == 0.5
