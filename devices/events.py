"""Channel-layer groups and payloads for live device events (DESIGN.md's WebSocket contract)."""

from __future__ import annotations

from typing import TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

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


def _send(device_ip: str, message: dict) -> None:
    layer = get_channel_layer()
    payload = {"type": message["event"].replace("_", "."), "payload": message}
    async_to_sync(layer.group_send)(device_group(device_ip), payload)
    async_to_sync(layer.group_send)(ALL_DEVICES, payload)


def send_device_update(device_ip: str, data: dict) -> None:
    """Push a device_update to the device's subscribers and to subscribe_all sockets."""
    _send(device_ip, DeviceUpdate(event="device_update", device_ip=device_ip, data=data))


def send_device_status(device_ip: str, status: str, timestamp: str) -> None:
    """Push a device_status change."""
    _send(
        device_ip,
        DeviceStatus(
            event="device_status", device_ip=device_ip, status=status, timestamp=timestamp
        ),
    )
