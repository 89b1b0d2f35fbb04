"""Home Assistant MQTT discovery configs for one device (sensors, availability, switch)."""

from __future__ import annotations

from django.conf import settings

from . import topics

# key -> (name, JSON field of the state payload, device_class, unit, state_class)
# Pairs as Home Assistant's sensor platform accepts them (energy must be total_increasing
# for the energy dashboard; monetary allows only "total").
SENSORS = {
    "power": ("Power", "power_w", "power", "W", "measurement"),
    "energy": ("Energy", "energy_kwh", "energy", "kWh", "total_increasing"),
    "voltage": ("Voltage", "voltage", "voltage", "V", "measurement"),
    "current": ("Current", "current", "current", "A", "measurement"),
    "cost_today": ("Cost today", "cost_today", "monetary", None, "total"),
    "cost_period": ("Cost this period", "cost_period", "monetary", None, "total"),
}


def device_block(row: dict) -> dict:
    block = {
        "identifiers": [f"kasa_monitor_{row['slug']}"],
        "name": row["name"],
        "manufacturer": "TP-Link",
        "model": row["model"] or "Kasa device",
    }
    if row.get("parent_slug"):
        block["via_device"] = f"kasa_monitor_{row['parent_slug']}"
    return block


def _common(row: dict, key: str) -> dict:
    state = topics.device(row["slug"], "state")
    return {
        "unique_id": f"kasa_monitor_{row['slug']}_{key}",
        "object_id": f"kasa_{row['slug']}_{key}",
        "state_topic": state,
        "availability": [
            {"topic": topics.bridge_status()},
            {"topic": topics.device(row["slug"], "availability")},
        ],
        "availability_mode": "all",
        "device": device_block(row),
        "origin": {"name": "Kasa Monitor", "sw_version": settings.VERSION},
    }


def configs(row: dict, *, currency: str, control: bool) -> list[tuple[str, dict | None]]:
    """Return (discovery topic, config) pairs; a None config removes the entity."""
    found: list[tuple[str, dict | None]] = []
    if row["has_emeter"]:
        for key, (name, field, device_class, unit, state_class) in SENSORS.items():
            config = _common(row, key) | {
                "name": name,
                "value_template": f"{{{{ value_json.{field} }}}}",
                "device_class": device_class,
                "state_class": state_class,
                "unit_of_measurement": unit or currency,
            }
            found.append((topics.discovery("sensor", row["slug"], key), config))
    online = _common(row, "online") | {
        "name": "Online",
        "state_topic": topics.device(row["slug"], "availability"),
        "availability": [{"topic": topics.bridge_status()}],
        "device_class": "connectivity",
        "entity_category": "diagnostic",
        "payload_on": "online",
        "payload_off": "offline",
    }
    online.pop("availability_mode")
    found.append((topics.discovery("binary_sensor", row["slug"], "online"), online))
    switch = None
    if control and row["controllable"]:
        switch = _common(row, "switch") | {
            "name": None,  # the device's own name
            "command_topic": topics.device(row["slug"], "set"),
            "value_template": "{{ 'ON' if value_json.is_on else 'OFF' }}",
            "payload_on": "ON",
            "payload_off": "OFF",
            "state_on": "ON",
            "state_off": "OFF",
        }
    found.append((topics.discovery("switch", row["slug"], "switch"), switch))
    return found
