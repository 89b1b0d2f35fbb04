"""Switch commands from Home Assistant: ON / OFF on <base>/device/<slug>/set."""

from __future__ import annotations

import logging

from django.utils import timezone

from billing.selectors import costs_so_far
from devices import services
from devices.selectors import device_get
from integrations.models import MqttSettings
from kasamonitor.errors import ApiError, NotFound
from security.services import SystemActor, audit_record

from . import payloads
from .outbox import Message

logger = logging.getLogger(__name__)
ACTOR = SystemActor("mqtt")
ACTIONS = {"ON": "on", "OFF": "off", "TOGGLE": "toggle"}


def handle(pk: int, payload: str) -> list[Message]:
    """Switch the device if MQTT control allows it (audited either way); return its new state."""
    action = ACTIONS.get(payload.strip().upper())
    try:
        device = device_get(pk)
    except NotFound:
        return []
    refusal = _refusal(device, action)
    if refusal:
        audit_record("device.control", actor=ACTOR, target=device, outcome="failure",
                     details={"action": payload[:20], "via": "mqtt", "why": refusal})  # fmt: skip
        return []
    try:
        device = services.device_set_power(device=device, action=action, actor=ACTOR)
    except ApiError as exc:  # unreachable, refused, control disabled: audited by the service
        logger.warning("MQTT command for %s failed: %s", device, exc)
        return []
    return [payloads.state(device, costs_so_far(), timezone.now())]


def _refusal(device, action: str | None) -> str:
    config = MqttSettings.load()
    if not config.control:
        return "control over MQTT is off"
    if config.control_excluded.filter(pk=device.pk).exists():
        return "device excluded from MQTT control"
    if action is None:
        return "unknown command"
    return ""
