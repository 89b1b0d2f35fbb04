"""MQTT topic names (docs/integrations.md lists them)."""

from __future__ import annotations

import re

from django.conf import settings

_UNSAFE = re.compile(r"[^a-z0-9_-]")


def slug(device_id: str) -> str:
    """A device's id as a topic level and Home Assistant object id: [a-z0-9_-] only."""
    return _UNSAFE.sub("", device_id.lower())


def base() -> str:
    return settings.MQTT_BASE_TOPIC.strip("/")


def bridge_status() -> str:
    """Birth ("online") and last will ("offline") of the publisher, retained."""
    return f"{base()}/status"


def device(device_slug: str, leaf: str) -> str:
    """state (retained JSON), reading (each reading), availability (retained), set (commands)."""
    return f"{base()}/device/{device_slug}/{leaf}"


def command_filter() -> str:
    return f"{base()}/device/+/set"


def slug_of_command(topic: str) -> str | None:
    parts = topic.split("/")
    prefix = base().split("/")
    if len(parts) == len(prefix) + 3 and parts[: len(prefix)] == prefix and parts[-1] == "set":
        return parts[-2]
    return None


def discovery(component: str, device_slug: str, key: str) -> str:
    return f"{settings.MQTT_DISCOVERY_PREFIX.strip('/')}/{component}/{device_slug}/{key}/config"
