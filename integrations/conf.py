"""Whether each integration is on: both are off until the environment configures them."""

from __future__ import annotations

from django.conf import settings


def metrics_enabled() -> bool:
    return bool(settings.METRICS_TOKEN or settings.METRICS_ALLOWED_IPS)


def mqtt_enabled() -> bool:
    return bool(settings.MQTT_HOST)
