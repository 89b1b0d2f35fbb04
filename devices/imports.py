"""Writes for data imported from elsewhere (the original Kasa Monitor's database).

Called by backups.importer through devices.services; rollups are rebuilt from the imported
readings with the same energy maths as a poll (devices/ingest.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from . import ingest, rollups
from .models import DailyRollup, Device, HourlyRollup, Reading

CHUNK = 5000
# An imported gap without a usable counter is bridged with power x time for at most this long.
CAP_SECONDS = 3600


def device_upsert_imported(*, mac: str, ip: str, alias: str, model: str, device_type: str):
    """Return (device, created): matched by MAC where known, else by our 'ip:<ip>' id."""
    if mac:
        found = Device.objects.filter(mac=mac, parent=None).order_by("pk").first()
        if found:
            return found, False
    device_id = mac or f"ip:{ip}"
    defaults = {"mac": mac, "host": ip, "alias": alias[:100], "model": model[:32],
                "device_type": device_type}  # fmt: skip
    return Device.objects.get_or_create(device_id=device_id, defaults=defaults)


def readings_existing_timestamps(device: Device, start: datetime, end: datetime) -> set[datetime]:
    """Return the timestamps of the device's readings in [start, end]."""
    qs = Reading.objects.filter(device=device, timestamp__gte=start, timestamp__lte=end)
    return set(qs.values_list("timestamp", flat=True))


def readings_insert_imported(device: Device, rows: list[dict]) -> None:
    """Insert imported readings (dicts of Reading fields) in one transaction."""
    with transaction.atomic():
        rollups.insert_readings(
            (device.pk, r["timestamp"], r.get("is_on"), r.get("power_w"), r.get("voltage"),
             r.get("current"), r.get("energy_total_kwh"), r.get("energy_delta_kwh", 0.0))
            for r in rows
        )  # fmt: skip


def rollups_rebuild(device_ids: Iterable[int], *, announce: bool = True) -> int:
    """Recompute the hourly and daily rollups of these devices from their raw readings.

    Return the number of readings folded in. The rebuilt hours have no cost: billing prices
    them when told (rollups_updated, sent on commit), or, with announce=False, when the
    caller prices them itself (the importer, through billing's price_pending_now); billing's
    periodic price_pending finds any left over.
    """
    from .signals import rollups_updated

    tz = ZoneInfo(settings.TIME_ZONE)
    folded, touched = 0, set()
    for device_id in device_ids:
        with transaction.atomic():
            HourlyRollup.objects.filter(device_id=device_id).delete()
            DailyRollup.objects.filter(device_id=device_id).delete()
            count, hours = _fold(device_id, tz)
        folded += count
        touched |= {(device_id, hour) for hour in hours}
    if touched and announce:
        transaction.on_commit(
            lambda: rollups_updated.send(
                sender=Device,
                device_ids=sorted({d for d, _ in touched}),
                hours=sorted({h for _, h in touched}),
            )
        )
    return folded


def _fold(device_id: int, tz: ZoneInfo) -> tuple[int, set[datetime]]:
    rows = (
        Reading.objects.filter(device_id=device_id)
        .order_by("timestamp")
        .values_list("timestamp", "is_on", "power_w", "energy_total_kwh")
        .iterator(chunk_size=CHUNK)
    )
    prev, count, touched = ingest.Previous(), 0, set()
    while chunk := list(islice(rows, CHUNK)):
        hours, days = {}, {}
        prev = ingest.fold(chunk, prev, tz=tz, cap_seconds=CAP_SECONDS, hours=hours, days=days)
        count += len(chunk)
        touched |= hours.keys()
        rollups.write(
            [],
            {(device_id, hour): bucket for hour, bucket in hours.items()},
            {(device_id, day): bucket for day, bucket in days.items()},
        )
    return count, touched
