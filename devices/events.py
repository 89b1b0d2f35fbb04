"""Channel-layer groups and payloads for live device events (DESIGN.md's WebSocket contract)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from kasamonitor.timestamps import iso_utc

if TYPE_CHECKING:
    from .models import Device

logger = logging.getLogger(__name__)

# Every authenticated socket joins this group; consumers filter by their subscriptions.
ALL_DEVICES = "devices.all"


class DeviceUpdate(TypedDict):
    event: str
    device_ip: str
    data: dict


class DeviceStatus(TypedDict):
    event: str
    device_ip: str
    status: str
    timestamp: str


def update_message(device: Device, at: datetime) -> DeviceUpdate:
    """Build a device_update; data also names the device, since strip outlets share an IP."""
    data = {
        "is_on": device.is_on,
        "current_power_w": device.current_power_w,
        "voltage": device.voltage,
        "current": device.current,
        "today_energy_kwh": device.today_energy_kwh,
        "timestamp": iso_utc(at),
        "device_id": device.pk,
        "mac": device.mac,
        "alias": device.alias,
        "parent": device.parent_id,
    }
    return DeviceUpdate(event="device_update", device_ip=device.host, data=data)


def status_message(device: Device, at: datetime) -> DeviceStatus:
    message = DeviceStatus(
        event="device_status", device_ip=device.host, status=device.status, timestamp=iso_utc(at)
    )
    message.update(device_id=device.pk, offline_reason=device.offline_reason)  # type: ignore[typeddict-unknown-key]
    return message


def send_many(messages: list[DeviceUpdate | DeviceStatus]) -> None:
    """Publish a poll's messages as ONE channel-layer send to every connected socket.

    Each consumer forwards the messages its subscriptions ask for. One group_send per poll
    (instead of two per device) keeps a 200-device cycle's fan-out to about a millisecond.
    A failing channel layer (Redis down) is logged, never raised: live events are best
    effort and must not undo a committed poll.
    """
    if not messages:
        return
    # Each event is encoded to JSON here, once, instead of once per socket; the batch carries
    # only what a socket filters on (the address) and the text it sends: every consumer
    # decodes it, so the smaller the cheaper (a thousand sockets decode each poll's batch).
    batch = {
        "type": "device.events",
        "device_ips": [message["device_ip"] for message in messages],
        "texts": [json.dumps(message) for message in messages],
    }
    try:
        layer = get_channel_layer()
        async_to_sync(layer.group_send)(ALL_DEVICES, batch)
    except Exception:  # noqa: BLE001 (any layer error)
        logger.exception("Could not publish %d device events", len(messages))


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
