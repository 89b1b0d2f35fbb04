"""Request and response shapes of the devices API (also the OpenAPI schema)."""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from redis.exceptions import RedisError
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from . import selectors
from .kasa_client import DEFAULT_PORT, CloudCredentials
from .models import Device
from .selectors import INTERVALS, iso


def device_row(d: Device) -> dict:
    """The list shape, built by hand: 200 devices in well under a millisecond each."""
    return {
        "id": d.pk,
        "name": d.name,
        "device_ip": d.host,
        "alias": d.alias,
        "model": d.model,
        "device_type": d.device_type,
        "is_on": d.is_on,
        "current_power_w": d.current_power_w,
        "today_energy_kwh": d.today_energy_kwh,
        "month_energy_kwh": d.month_energy_kwh,
        "voltage": d.voltage,
        "current": d.current,
        "signal_strength": d.rssi,
        "last_seen": iso(d.last_seen),
        "status": d.status,
        "offline_reason": d.offline_reason or None,
        "mac": d.mac,
        "parent": d.parent_id,
        "enabled": d.enabled,
    }


# The columns the list shows, read without building model instances (GET /api/devices).
ROW_COLUMNS = (
    "id", "alias", "model", "device_id", "host", "device_type", "is_on", "current_power_w",
    "today_energy_kwh", "month_energy_kwh", "voltage", "current", "rssi", "last_seen",
    "status", "offline_reason", "mac", "parent_id", "enabled",
)  # fmt: skip


LIST_CACHE_SECONDS = 300


_rendered_lists: dict[str, bytes] = {}  # this process's copy: no Redis round trip on a hit


def _shared_get(key: str) -> bytes | None:
    try:
        return cache.get(key)
    except RedisError:  # Redis is away: the database answers (issue 17 item 10)
        return None


def _shared_set(key: str, body: bytes) -> None:
    with contextlib.suppress(RedisError):
        cache.set(key, body, LIST_CACHE_SECONDS)


def device_list_json(status: str | None = None) -> bytes:
    """The body of GET /api/devices, rendered once per fleet version and kept in this
    process and in the shared cache: the list is read far more often (dashboards, API
    clients) than devices change, and the version comes from the database on every call."""
    key = f"devices:list:{status or 'all'}:{selectors.fleet_version()}"
    body = _rendered_lists.get(key)
    if body is None:
        body = _shared_get(key)
        if body is None:
            rows = selectors.device_list(status=status).values(*ROW_COLUMNS)
            body = JSONRenderer().render([device_row_from_values(row) for row in rows])
            _shared_set(key, body)
        if len(_rendered_lists) >= 8:  # old versions are never asked for again
            _rendered_lists.clear()
        _rendered_lists[key] = body
    return body


def device_row_from_values(v: dict) -> dict:
    """device_row() for a .values(*ROW_COLUMNS) dict: the same keys and values."""
    return {
        "id": v["id"],
        "name": v["alias"] or v["model"] or v["device_id"],
        "device_ip": v["host"],
        "alias": v["alias"],
        "model": v["model"],
        "device_type": v["device_type"],
        "is_on": v["is_on"],
        "current_power_w": v["current_power_w"],
        "today_energy_kwh": v["today_energy_kwh"],
        "month_energy_kwh": v["month_energy_kwh"],
        "voltage": v["voltage"],
        "current": v["current"],
        "signal_strength": v["rssi"],
        "last_seen": iso(v["last_seen"]),
        "status": v["status"],
        "offline_reason": v["offline_reason"] or None,
        "mac": v["mac"],
        "parent": v["parent_id"],
        "enabled": v["enabled"],
    }


def device_detail(d: Device) -> dict:
    outlets = list(d.outlets.order_by("child_id")) if d.is_strip else []
    return {
        **device_row(d),
        "device_id": d.device_id,
        "port": d.port,
        "child_id": d.child_id or None,
        "hw_version": d.hw_version,
        "fw_version": d.fw_version,
        "has_emeter": d.has_emeter,
        "energy_total_kwh": d.energy_total_kwh,
        "failed_polls": d.failed_polls,
        "last_polled_at": iso(d.last_polled_at),
        "has_credentials": bool(d.credentials),
        "notes": d.notes,
        "created_at": iso(d.created_at),
        "outlets": [device_row(o) for o in outlets],
    }


class DeviceOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    device_ip = serializers.IPAddressField()
    alias = serializers.CharField()
    model = serializers.CharField()
    device_type = serializers.ChoiceField(choices=Device.Type.choices)
    is_on = serializers.BooleanField(allow_null=True)
    current_power_w = serializers.FloatField(allow_null=True)
    today_energy_kwh = serializers.FloatField(allow_null=True)
    month_energy_kwh = serializers.FloatField(allow_null=True)
    voltage = serializers.FloatField(allow_null=True)
    current = serializers.FloatField(allow_null=True)
    signal_strength = serializers.IntegerField(allow_null=True)
    last_seen = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=Device.Status.choices)
    offline_reason = serializers.CharField(allow_null=True)
    mac = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True, help_text="The strip of an outlet.")
    enabled = serializers.BooleanField()


class DeviceDetailOut(DeviceOut):
    device_id = serializers.CharField(help_text="MAC, or MAC_childid for a strip outlet.")
    port = serializers.IntegerField()
    child_id = serializers.CharField(allow_null=True)
    hw_version = serializers.CharField()
    fw_version = serializers.CharField()
    has_emeter = serializers.BooleanField()
    energy_total_kwh = serializers.FloatField(allow_null=True)
    failed_polls = serializers.IntegerField()
    last_polled_at = serializers.DateTimeField(allow_null=True)
    has_credentials = serializers.BooleanField()
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    outlets = DeviceOut(many=True)


class CredentialsIn(serializers.Serializer):
    username = serializers.CharField(required=False, allow_blank=True, max_length=254)
    password = serializers.CharField(
        required=False, allow_blank=True, max_length=254, write_only=True
    )

    def credentials(self) -> CloudCredentials | None:
        data = self.validated_data
        if not data.get("username"):
            return None
        return CloudCredentials(data["username"], data.get("password", ""))


class DiscoverIn(CredentialsIn):
    timeout = serializers.FloatField(required=False, min_value=0.5, max_value=30)


class DiscoverOut(serializers.Serializer):
    discovered = serializers.IntegerField()
    devices = DeviceOut(many=True)


class ManualAddIn(CredentialsIn):
    ip = serializers.IPAddressField(required=False)
    ip_address = serializers.IPAddressField(required=False, help_text="Alias of ip.")
    alias = serializers.CharField(required=False, allow_blank=True, max_length=100)
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    port = serializers.IntegerField(required=False, min_value=1, max_value=65535)

    def validate(self, attrs):
        ip = attrs.get("ip") or attrs.get("ip_address")
        if not ip:
            raise serializers.ValidationError({"ip": "This field is required."})
        return {
            "ip": ip,
            "alias": attrs.get("alias") or attrs.get("name") or "",
            "port": attrs.get("port", DEFAULT_PORT),
        }


class DeviceUpdateIn(CredentialsIn):
    alias = serializers.CharField(required=False, max_length=100)
    name = serializers.CharField(required=False, max_length=100, help_text="Alias of alias.")
    ip_address = serializers.IPAddressField(required=False)
    ip = serializers.IPAddressField(required=False)
    port = serializers.IntegerField(required=False, min_value=1, max_value=65535)
    enabled = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def changes(self) -> dict:
        data = dict(self.validated_data)
        changes = {k: data[k] for k in ("port", "enabled", "notes") if k in data}
        if "alias" in data or "name" in data:
            changes["alias"] = data.get("alias", data.get("name"))
        if "ip" in data or "ip_address" in data:
            changes["host"] = data.get("ip") or data.get("ip_address")
        if "username" in data:
            changes["credentials"] = self.credentials()
        return changes


class ControlIn(serializers.Serializer):
    action = serializers.ChoiceField(choices=["on", "off", "toggle"])


class PollOut(serializers.Serializer):
    msg = serializers.CharField()
    task_id = serializers.CharField()
    device_id = serializers.IntegerField()


class StatusSummaryOut(serializers.Serializer):
    total = serializers.IntegerField()
    online = serializers.IntegerField()
    offline = serializers.IntegerField()
    unknown = serializers.IntegerField()


class FlexibleDateTime(serializers.Field):
    """An ISO 8601 datetime, or a date (local midnight; as an end: the end of that day)."""

    def __init__(self, *, end: bool = False, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        text = str(value).strip().replace(" ", "+")  # "+" in a query string arrives as " "
        try:  # parse_date first: parse_datetime also reads "2024-01-31" as midnight
            day = parse_date(text)
            moment = None if day else parse_datetime(text)
        except ValueError:
            moment = day = None
        if moment is None and day is None:
            raise serializers.ValidationError("Use an ISO 8601 date or datetime.")
        if day is not None:
            moment = datetime.combine(day, time.min) + (
                timedelta(days=1) if self.end else timedelta()
            )
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment

    def to_representation(self, value):
        return iso(value)


class HistoryQuery(serializers.Serializer):
    start_time = FlexibleDateTime(required=False)
    end_time = FlexibleDateTime(required=False, end=True)
    interval = serializers.ChoiceField(choices=list(INTERVALS), default="1h")

    DEFAULT_SPAN = {"raw": 1, "1h": 1, "6h": 7, "1d": 30}  # days
    MAX_RAW_DAYS = 31

    def validate(self, attrs):
        end = attrs.get("end_time") or timezone.now()
        start = attrs.get("start_time") or end - timedelta(
            days=self.DEFAULT_SPAN[attrs["interval"]]
        )
        if start >= end:
            raise serializers.ValidationError({"start_time": "start_time must be before end_time."})
        if attrs["interval"] == "raw" and end - start > timedelta(days=self.MAX_RAW_DAYS):
            raise serializers.ValidationError(
                {"interval": f"raw covers at most {self.MAX_RAW_DAYS} days; use 1h, 6h or 1d."}
            )
        return {"start": start, "end": end, "interval": attrs["interval"]}


class HistoryPointOut(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    power_w = serializers.FloatField(allow_null=True)
    energy_kwh = serializers.FloatField()
    cost = serializers.FloatField(allow_null=True)


class StatsOut(serializers.Serializer):
    daily_usage_kwh = serializers.FloatField()
    weekly_usage_kwh = serializers.FloatField()
    monthly_usage_kwh = serializers.FloatField()
    daily_cost = serializers.FloatField(allow_null=True)
    weekly_cost = serializers.FloatField(allow_null=True)
    monthly_cost = serializers.FloatField(allow_null=True)
    average_power_w = serializers.FloatField()
    peak_power_w = serializers.FloatField()
    total_on_time_hours = serializers.FloatField()


class NetworkOut(serializers.Serializer):
    network_mode = serializers.CharField()
    discovery_enabled = serializers.BooleanField()
    manual_devices_enabled = serializers.BooleanField()
    host_ip = serializers.CharField()
    discovery_targets = serializers.ListField(child=serializers.CharField())
    polling_interval = serializers.IntegerField()
