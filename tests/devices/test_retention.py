"""Retention deletes old raw readings in batches and keeps the rollups; credentials at rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.crypto import decrypt_credentials, encrypt_credentials
from devices.kasa_client import CloudCredentials
from devices.maintenance import prune_readings
from devices.models import HourlyRollup, Reading
from system.models import SystemConfig
from tests.factories import DeviceFactory

from .factories import hourly

pytestmark = pytest.mark.django_db


def test_readings_past_the_retention_period_are_deleted_but_rollups_stay():
    SystemConfig.objects.update_or_create(pk=1, defaults={"data_retention_days": 30})
    device = DeviceFactory()
    now = timezone.now()
    Reading.objects.bulk_create(
        [
            Reading(device=device, timestamp=now - timedelta(days=d, hours=12), power_w=1.0)
            for d in range(60)
        ]
    )
    hourly(device, now - timedelta(days=50), 5)

    assert prune_readings(batch=7) == 30  # 30.5 to 59.5 days old, in several batches
    assert Reading.objects.count() == 30
    assert HourlyRollup.objects.count() == 5


def test_device_credentials_are_encrypted_at_rest(settings):
    settings.FIELD_ENCRYPTION_KEY = "some key"
    token = encrypt_credentials(CloudCredentials("me@example.com", "hunter2"))
    assert "hunter2" not in token and "me@example.com" not in token
    assert decrypt_credentials(token) == CloudCredentials("me@example.com", "hunter2")
    settings.FIELD_ENCRYPTION_KEY = "another key"
    assert decrypt_credentials(token) is None  # unreadable, never a crash
