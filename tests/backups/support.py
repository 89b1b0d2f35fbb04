"""Helpers of the backups tests."""

from __future__ import annotations


def snapshot_of_data() -> dict:
    """What a user would notice about the data: devices, readings, settings, schedules."""
    from backups.models import BackupSchedule
    from devices.models import Device, Reading
    from system.models import SystemConfig

    return {
        "devices": sorted(Device.objects.values_list("device_id", "alias")),
        "readings": Reading.objects.count(),
        "power_sum": round(sum(Reading.objects.values_list("power_w", flat=True)), 3),
        "polling_interval": SystemConfig.load().polling_interval,
        "schedules": sorted(BackupSchedule.objects.values_list("name", "cron")),
    }
