from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from tests.factories import DeviceFactory  # noqa: F401 (re-exported for the tests here)


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.AlertRule"

    name = factory.Sequence(lambda n: f"Rule {n}")
    kind = "power_above"
    threshold = 1000.0
    duration_minutes = 5
    severity = "high"


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.Alert"

    severity = "medium"
    message = factory.Sequence(lambda n: f"Alert {n}")


class CameraFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.Camera"

    name = factory.Sequence(lambda n: f"Cam {n}")
    ip_address = "127.0.0.1"
    rtsp_url = "rtsp://127.0.0.1:554/stream1"


class HostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.NetworkHost"

    name = factory.Sequence(lambda n: f"Switch {n}")
    ip_address = "127.0.0.1"
    port = 22
    device_type = "switch"


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.NotificationChannel"

    name = factory.Sequence(lambda n: f"Channel {n}")
    kind = "webhook"
    target = "http://127.0.0.1:9/hook"
    min_severity = "info"


def add_readings(device, powers: list[float | None], *, every_s: int = 60, end=None) -> None:
    """Store readings for device, one every `every_s` seconds, the last at `end` (now)."""
    from devices.models import Reading

    end = end or timezone.now()
    start = end - timedelta(seconds=every_s * (len(powers) - 1))
    Reading.objects.bulk_create(
        Reading(device=device, timestamp=start + timedelta(seconds=every_s * i), power_w=p)
        for i, p in enumerate(powers)
    )
