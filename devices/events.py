"""Channel-layer groups and payloads for live device events (DESIGN.md's WebSocket contract)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

if TYPE_CHECKING:
    from .models import Device

logger = logging.getLogger(__name__)

ALL_DEVICES = "devices.all"


def device_group(device_ip: str) -> str:
    """Return the group name for one device (group names allow only [a-zA-Z0-9_.-])."""
    return "device." + device_ip.replace(":", "-")


class DeviceUpdate(TypedDict):
    event: str
    device_ip: str
    data: dict


class DeviceStatus(TypedDict):
    event: str
    device_ip: str
    status: str
    timestamp: str


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def update_message(device: Device, at: datetime) -> DeviceUpdate:
    """Build a device_update; data also names the device, since strip outlets share an IP."""
    data = {
        "is_on": device.is_on,
        "current_power_w": device.current_power_w,
        "voltage": device.voltage,
        "current": device.current,
        "today_energy_kwh": device.today_energy_kwh,
        "timestamp": iso(at),
        "device_id": device.pk,
        "mac": device.mac,
        "alias": device.alias,
        "parent": device.parent_id,
    }
    return DeviceUpdate(event="device_update", device_ip=device.host, data=data)


def status_message(device: Device, at: datetime) -> DeviceStatus:
    message = DeviceStatus(
        event="device_status", device_ip=device.host, status=device.status, timestamp=iso(at)
    )
    message.update(device_id=device.pk, offline_reason=device.offline_reason)  # type: ignore[typeddict-unknown-key]
    return message


def send_many(messages: list[DeviceUpdate | DeviceStatus]) -> None:
    """Send every message to its device's group and to subscribe_all sockets, in one loop.

    A failing channel layer (Redis down) is logged, never raised: live events are best
    effort and must not undo a committed poll.
    """
    if not messages:
        return
    try:
        async_to_sync(_send_all)(messages)
    except Exception:  # noqa: BLE001 (any layer error)
        logger.exception("Could not publish %d device events", len(messages))


async def _send_all(messages: list[DeviceUpdate | DeviceStatus]) -> None:
    layer = get_channel_layer()
    sends = []
    for message in messages:
        payload = {"type": message["event"].replace("_", "."), "payload": message}
        sends.append(layer.group_send(device_group(message["device_ip"]), payload))
        sends.append(layer.group_send(ALL_DEVICES, payload))
    await asyncio.gather(*sends)


def send_device_update(device_ip: str, data: dict) -> None:
    """Push a device_update to the device's subscribers and to subscribe_all sockets."""
    send_many([DeviceUpdate(event="device_update", device_ip=device_ip, data=data)])


def send_device_status(device_ip: str, status: str, timestamp: str) -> None:
    """Push a device_status change."""
    send_many(
        [
            DeviceStatus(
                event="device_status", device_ip=device_ip, status=status, timestamp=timestamp
            )
        ]
    )
