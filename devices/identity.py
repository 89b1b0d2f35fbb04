"""Map python-kasa results onto Device rows by device id (MAC), never by IP."""

from __future__ import annotations

from django.utils import timezone

from .kasa_client import OutletResult, PollResult
from .models import Device

IDENTITY_FIELDS = [
    "host", "port", "mac", "alias", "model", "device_type", "hw_version", "fw_version",
    "has_emeter", "rssi", "child_id",
]  # fmt: skip
LIVE_FIELDS = [
    "is_on", "current_power_w", "voltage", "current", "today_energy_kwh", "month_energy_kwh",
]  # fmt: skip


def identity_of(result: PollResult) -> dict:
    return {
        "host": result.host,
        "port": result.port,
        "mac": result.mac,
        "alias": result.alias,
        "model": result.model,
        "device_type": result.device_type,
        "hw_version": result.hw_version,
        "fw_version": result.fw_version,
        "has_emeter": result.has_emeter,
        "rssi": result.rssi,
        "child_id": "",
        # Not in IDENTITY_FIELDS: saved by upsert (discovery, manual add), not by every poll.
        "connection": dict(result.connection),
    }


def outlet_identity_of(strip: PollResult, outlet: OutletResult) -> dict:
    return {
        **identity_of(strip),
        "alias": outlet.alias,
        "device_type": Device.Type.OUTLET,
        "has_emeter": outlet.power_w is not None,
        "child_id": outlet.child_id,
    }


def live_of(result: PollResult | OutletResult) -> dict:
    return {
        "is_on": result.is_on,
        "current_power_w": result.power_w,
        "voltage": result.voltage,
        "current": result.current,
        "today_energy_kwh": result.today_kwh,
        "month_energy_kwh": result.month_kwh,
    }


def without_counters(live: dict) -> dict:
    """live_of() without today's and this month's kWh: for a device with readings those are
    the baseline of its next interval (ingest.Previous.month_kwh), so only a poll that
    stores a reading may move them."""
    return {k: v for k, v in live.items() if k not in ("today_energy_kwh", "month_energy_kwh")}


def assign(device: Device, values: dict) -> bool:
    """Set values on device; return True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(device, name) != value:
            setattr(device, name, value)
            changed = True
    return changed


def upsert(
    results: list[PollResult], *, add_new: bool = True, credentials: str = ""
) -> tuple[list[Device], list[Device]]:
    """Create or update devices and their strip outlets from results (small batches).

    A known device found at a new IP keeps its row and history; only host/port move.
    Return (created, updated) top-level devices.
    """
    ids = [r.device_id for r in results] + [o.device_id for r in results for o in r.children]
    known = {d.device_id: d for d in Device.objects.filter(device_id__in=ids)}
    created, updated = [], []
    now = timezone.now()
    for result in results:
        device = known.get(result.device_id)
        if device is None and not add_new:
            continue
        is_new = device is None
        device = device or Device(device_id=result.device_id, status=Device.Status.ONLINE)
        live = (
            live_of(result) if device.last_reading_at is None else without_counters(live_of(result))
        )
        assign(device, {**identity_of(result), **live, "last_seen": now})
        if credentials:
            device.credentials = credentials
        device.save()
        _upsert_outlets(device, result, known, now)
        (created if is_new else updated).append(device)
    return created, updated


def _upsert_outlets(strip: Device, result: PollResult, known: dict, now) -> None:
    for outlet in result.children:
        row = known.get(outlet.device_id) or Device(
            device_id=outlet.device_id, parent=strip, status=strip.status
        )
        live = live_of(outlet) if row.last_reading_at is None else without_counters(live_of(outlet))
        assign(row, {**outlet_identity_of(result, outlet), **live, "last_seen": now})
        row.parent = strip
        row.save()
