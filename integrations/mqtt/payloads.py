"""What is published for a device: retained state, each reading, availability, discovery."""

from __future__ import annotations

import orjson

from billing.selectors import CostsSoFar
from devices.selectors import EXPORT_FIELDS
from kasamonitor.timestamps import iso_utc

from . import discovery, topics
from .outbox import Message


def row_of(values: tuple, ids: dict[int, str]) -> dict:
    """An export_rows() tuple as the dict discovery reads (ids: pk -> device_id)."""
    row = dict(zip(EXPORT_FIELDS, values, strict=True))
    device_id, parent = row["device_id"], ids.get(row["parent_id"])
    return {
        "pk": row["id"],
        "slug": topics.slug(device_id),
        "parent_slug": topics.slug(parent) if parent else "",
        "name": row["alias"] or row["model"] or device_id,
        "model": row["model"],
        "has_emeter": row["has_emeter"],
        "status": row["status"],
        "controllable": True,
    }


def _dump(data) -> bytes:
    return orjson.dumps(data)  # a thousand states per cycle: a fifth of json's time


def availability(device_slug: str, status: str) -> Message:
    value = "online" if status == "online" else "offline"
    return Message(topics.device(device_slug, "availability"), value.encode(), True)


def state(device, costs: CostsSoFar, at, reading=None) -> Message:
    """The device's state, retained: each poll's reading (its timestamp identifies it, with
    QoS 1 every one reaches a subscriber's session) and the costs so far."""
    data = {
        "timestamp": iso_utc(reading.timestamp if reading is not None else at),
        "is_on": device.is_on,
        "status": device.status,
        "power_w": device.current_power_w,
        "voltage": device.voltage,
        "current": device.current,
        "energy_kwh": device.energy_total_kwh,
        "energy_delta_kwh": reading.energy_delta_kwh if reading is not None else None,
        "today_energy_kwh": device.today_energy_kwh,
        "cost_today": _round(costs.day.get(device.pk)),
        "cost_period": _round(costs.period.get(device.pk)),
        "currency": costs.currency,
    }
    return Message(topics.device(topics.slug(device.device_id), "state"), _dump(data), True)


def discovery_messages(row: dict, *, currency: str, control: bool, on: bool) -> list[Message]:
    """Discovery configs of one device; with discovery off, empty ones (removing them)."""
    return [
        Message(topic, _dump(config) if (on and config is not None) else b"", True)
        for topic, config in discovery.configs(row, currency=currency, control=control)
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
