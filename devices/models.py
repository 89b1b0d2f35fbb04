"""Devices, their readings, hourly and daily rollups, and outages."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Device(models.Model):
    """A Kasa plug, strip, strip outlet, bulb, switch or dimmer, identified by its device id/MAC."""

    class Type(models.TextChoices):
        PLUG = "plug"
        STRIP = "strip"
        OUTLET = "outlet"
        BULB = "bulb"
        SWITCH = "switch"
        DIMMER = "dimmer"

    class Status(models.TextChoices):
        ONLINE = "online"
        OFFLINE = "offline"
        UNKNOWN = "unknown"
        # Answers, but refuses the TP-Link account it was given (KLAP/AES firmware): it
        # needs new credentials, not a trip to the socket.
        AUTH_FAILED = "auth_failed", "Needs credentials"

    class OfflineReason(models.TextChoices):
        NONE = ""
        UNREACHABLE = "unreachable"
        AUTH_FAILED = "auth_failed"
        UNSUPPORTED = "unsupported"

    # Identity: python-kasa's device_id (the MAC for IOT plugs, MAC_childid for strip outlets).
    device_id = models.CharField(max_length=64, unique=True)
    mac = models.CharField(max_length=17, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="outlets"
    )
    child_id = models.CharField(max_length=64, blank=True)
    host = models.GenericIPAddressField(db_index=True)
    port = models.PositiveIntegerField(default=9999)
    alias = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=32, blank=True)
    device_type = models.CharField(max_length=16, choices=Type.choices, default=Type.PLUG)
    hw_version = models.CharField(max_length=32, blank=True)
    fw_version = models.CharField(max_length=64, blank=True)
    has_emeter = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True, help_text="Polled when enabled.")
    notes = models.TextField(blank=True)
    credentials = models.TextField(blank=True, help_text="Encrypted KLAP credentials.")
    connection = models.JSONField(
        default=dict,
        blank=True,
        help_text="How python-kasa reaches it (protocol found by discovery); empty: legacy port.",
    )
    # Live state, written by each poll.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNKNOWN)
    offline_reason = models.CharField(
        max_length=16, choices=OfflineReason.choices, default="", blank=True
    )
    failed_polls = models.PositiveIntegerField(default=0)
    is_on = models.BooleanField(null=True)
    rssi = models.IntegerField(null=True, blank=True)
    current_power_w = models.FloatField(null=True, blank=True)
    voltage = models.FloatField(null=True, blank=True)
    current = models.FloatField(null=True, blank=True)
    energy_total_kwh = models.FloatField(null=True, blank=True)
    today_energy_kwh = models.FloatField(null=True, blank=True)
    month_energy_kwh = models.FloatField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # The energy counter's baseline: energy_total_kwh as of the last stored reading.
    last_reading_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["alias", "id"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.alias or self.device_id

    @property
    def name(self) -> str:
        return self.alias or self.model or self.device_id

    @property
    def is_strip(self) -> bool:
        return self.device_type == self.Type.STRIP

    @property
    def is_outlet(self) -> bool:
        return self.parent_id is not None


# A reading's stored values in one order: bulk inserts (devices.rollups) and exports use it.
READING_COLUMNS = ("device_id", "timestamp", "is_on", "power_w", "voltage", "current",
                   "energy_total_kwh", "energy_delta_kwh")  # fmt: skip


class Reading(models.Model):
    """One poll of one device. energy_delta_kwh is the energy since the previous reading."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="readings")
    timestamp = models.DateTimeField()
    is_on = models.BooleanField(null=True)
    power_w = models.FloatField(null=True)
    voltage = models.FloatField(null=True)
    current = models.FloatField(null=True)
    energy_total_kwh = models.FloatField(null=True)
    energy_delta_kwh = models.FloatField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["device", "timestamp"]),
            models.Index(fields=["timestamp"]),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} @ {self.timestamp:%Y-%m-%d %H:%M:%S}: {self.power_w} W"


class HourlyRollup(models.Model):
    """Per device per UTC hour: energy, power statistics and on-time (its cost is billing's)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="hourly")
    hour = models.DateTimeField()
    energy_kwh = models.FloatField(default=0)
    power_sum_w = models.FloatField(default=0)
    samples = models.PositiveIntegerField(default=0)
    max_power_w = models.FloatField(default=0)
    on_seconds = models.FloatField(default=0)
    # Set by every write of the row (devices/rollups.py: polls, backfills, imports), so
    # billing looks only at the hours written since it last looked (billing.rollups).
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["device", "hour"]
        constraints = [
            models.UniqueConstraint(fields=["device", "hour"], name="hourly_rollup_unique")
        ]
        indexes = [
            # (hour, energy_kwh) covers the household's kWh per hour (insights: the bill
            # projection, the closed period's check) without reading the rows; the hour
            # range queries use its first column as they did the old index on hour.
            models.Index(fields=["hour", "energy_kwh"], name="hourly_rollup_hour_energy"),
            models.Index(fields=["updated_at"], name="hourly_rollup_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.hour:%Y-%m-%d %H}:00 {self.energy_kwh:.3f} kWh"

    @property
    def avg_power_w(self) -> float:
        return self.power_sum_w / self.samples if self.samples else 0.0


class DailyRollup(models.Model):
    """Per device per local day (settings.TIME_ZONE): the sums of that day's hourly rollups."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="daily")
    day = models.DateField()
    energy_kwh = models.FloatField(default=0)
    power_sum_w = models.FloatField(default=0)
    samples = models.PositiveIntegerField(default=0)
    max_power_w = models.FloatField(default=0)
    on_seconds = models.FloatField(default=0)
    backfilled = models.BooleanField(default=False)

    class Meta:
        ordering = ["device", "day"]
        constraints = [
            models.UniqueConstraint(fields=["device", "day"], name="daily_rollup_unique")
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.device_id} {self.day} {self.energy_kwh:.3f} kWh"


class Outage(models.Model):
    """A period a device was offline, and why."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="outages")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=16, choices=Device.OfflineReason.choices)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["device", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.device_id} offline from {self.started_at:%Y-%m-%d %H:%M} ({self.reason})"


class CloudAccount(models.Model):
    """The household's TP-Link account (one row): the credentials every KLAP/AES device
    without its own (Device.credentials) is read with. Fernet-encrypted (devices/crypto.py),
    never returned by the API (docs/devices.md, "Credentials")."""

    credentials = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "TP-Link account"

    def __str__(self) -> str:
        return "TP-Link account" + ("" if self.credentials else " (not set)")
