"""Fixtures for the backups tests: a clean backups folder and some data worth restoring."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from tests.factories import DeviceFactory


@pytest.fixture(autouse=True)
def clean_backups_dir():
    """Every test starts with an empty $KASA_DATA_DIR/backups."""
    folder = settings.DATA_DIR / "backups"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    yield folder


@pytest.fixture
def sample_data(db):
    """Two devices with an hour of readings each, a system config and a backup schedule."""
    from backups.models import BackupSchedule
    from devices.models import Reading
    from system.models import SystemConfig

    start = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
    devices = [DeviceFactory(alias="Fridge"), DeviceFactory(alias="Heater")]
    Reading.objects.bulk_create(
        Reading(
            device=d,
            timestamp=start + timedelta(minutes=m),
            power_w=100.0 + m,
            energy_total_kwh=m / 60,
            energy_delta_kwh=1 / 60,
        )  # fmt: skip
        for d in devices
        for m in range(60)
    )
    config = SystemConfig.load()
    config.polling_interval = 45
    config.save()
    BackupSchedule.objects.create(name="Nightly", cron="0 2 * * *", retention_days=7)
    return devices
