"""Reads of the devices app that other apps may call."""

from __future__ import annotations

from django.db.models import Count, Max, Q

from .models import Device, Reading


def fleet_counts() -> dict:
    """Return device totals by status, the reading count and the time of the last poll."""
    agg = Device.objects.aggregate(
        total=Count("id"),
        online=Count("id", filter=Q(status=Device.Status.ONLINE)),
        offline=Count("id", filter=Q(status=Device.Status.OFFLINE)),
        unknown=Count("id", filter=Q(status=Device.Status.UNKNOWN)),
        last_poll=Max("last_polled_at"),
    )
    agg["readings"] = Reading.objects.count()
    return agg
