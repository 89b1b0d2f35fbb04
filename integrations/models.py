"""Run-time settings of the integrations an admin changes in the operator console.

The broker's address, credentials and TLS and the metrics token come from the environment
(docs/integrations.md); what Home Assistant may do to devices is decided here.
"""

from __future__ import annotations

from django.db import models


class MqttSettings(models.Model):
    """The single row of MQTT choices (the connection itself is configured by MQTT_*)."""

    discovery = models.BooleanField(
        default=True, help_text="Announce every device to Home Assistant (MQTT discovery)."
    )
    control = models.BooleanField(
        default=False,
        help_text="Offer a switch entity per device: Home Assistant may switch devices "
        "on and off (audited as the actor 'mqtt').",
    )
    control_excluded = models.ManyToManyField(
        "devices.Device",
        blank=True,
        related_name="+",
        help_text="Devices that are never switched over MQTT, even with control on.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "MQTT settings"
        verbose_name_plural = "MQTT settings"

    def __str__(self) -> str:
        return "MQTT settings"

    @classmethod
    def load(cls) -> MqttSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj
