"""What is published for a device: retained state, each reading, availability, discovery."""

from __future__ import annotations

import json

from billing.selectors import CostsSoFar
from devices.selectors import EXPORT_FIELDS
from kasamonitor.timestamps import iso_utc

from . import discovery, topics
from .outbox import Message

ROW = {name: i for i, name in enumerate(EXPORT_FIELDS)}


def row_of(values: tuple, slugs: dict[int, str] | None = None) -> dict:
    """An export_rows() tuple as the dict discovery reads."""
    row = dict(zip(EXPORT_FIELDS, values, strict=True))
    device_id = row["device_id"]
    parent = row["parent__device_id"]
    return {
        "pk": row["id"],
        "slug": topics.slug(device_id),
        "parent_slug": topics.slug(parent) if parent else "",
        "name": row["alias"] or row["model"] or device_id,
        "model": row["model"],
        "has_emeter": row["has_emeter"],
        "controllable": True,
    }


def _dump(data) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def availability(device_slug: str, status: str) -> Message:
    value = "online" if status == "online" else "offline"
    return Message(topics.device(device_slug, "availability"), value.encode(), True)


def state(device, costs: CostsSoFar, at) -> Message:
    """The device's latest state (retained), from the Device row the poll just wrote."""
    data = {
        "is_on": device.is_on,
        "status": device.status,
        "power_w": device.current_power_w,
        "voltage": device.voltage,
        "current": device.current,
        "energy_kwh": device.energy_total_kwh,
        "today_energy_kwh": device.today_energy_kwh,
        "cost_today": _round(costs.day.get(device.pk, 0.0 if device.pk in costs.period else None)),
        "cost_period": _round(costs.period.get(device.pk)),
        "currency": costs.currency,
        "timestamp": iso_utc(at),
    }
    return Message(topics.device(topics.slug(device.device_id), "state"), _dump(data), True)


def reading(reading) -> Message:
    """One stored reading (not retained: a stream; the timestamp identifies it)."""
    data = {
        "timestamp": iso_utc(reading.timestamp),
        "is_on": reading.is_on,
        "power_w": reading.power_w,
        "voltage": reading.voltage,
        "current": reading.current,
        "energy_kwh": reading.energy_total_kwh,
        "energy_delta_kwh": reading.energy_delta_kwh,
    }
    device_slug = topics.slug(reading.device.device_id)
    return Message(topics.device(device_slug, "reading"), _dump(data), False)


def discovery_messages(row: dict, *, currency: str, control: bool, on: bool) -> list[Message]:
    """Discovery configs of one device; with discovery off, empty ones (removing them)."""
    return [
        Message(topic, _dump(config) if (on and config is not None) else b"", True)
        for topic, config in discovery.configs(row, currency=currency, control=control)
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
