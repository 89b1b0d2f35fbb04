"""Look for appliance runs in the readings a poll has just written."""

from __future__ import annotations


def detect_runs_after_poll(sender, device_ids=(), **kwargs) -> None:
    # On the worker, so the poll cycle stays short; if the broker is down the periodic job
    # finds the readings (each device keeps where it got to).
    from insights import tasks
    from insights.models import ApplianceSettings
    from kasamonitor import queueing

    watched = list(
        ApplianceSettings.objects.filter(device_id__in=list(device_ids)).values_list(
            "device_id", flat=True
        )
    )
    if watched:
        queueing.send(tasks.detect_runs, sorted(watched))
