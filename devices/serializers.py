"""Request and response shapes of the devices API (also the OpenAPI schema)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from redis.exceptions import RedisError
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from kasamonitor.ranges import RangeBoundField, check_order

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


def device_list_json(status: str | None = None, *, children: bool = False) -> bytes:
    """The body of GET /api/devices, rendered once per fleet version and kept in this
    process and in the shared cache: the list is read far more often (dashboards, API
    clients) than devices change, and the version comes from the database on every call.

    With children (?expand=children) each strip's outlets move into its "children"."""
    tree = ":tree" if children else ""
    key = f"devices:list:{status or 'all'}{tree}:{selectors.fleet_version()}"
    body = _rendered_lists.get(key)
    if body is None:
        body = _shared_get(key)
        if body is None:
            rows = selectors.device_list(status=status).values(*ROW_COLUMNS)
            listed = [device_row_from_values(row) for row in rows]
            body = JSONRenderer().render(nest_children(listed) if children else listed)
            _shared_set(key, body)
        if len(_rendered_lists) >= 8:  # old versions are never asked for again
            _rendered_lists.clear()
        _rendered_lists[key] = body
    return body


def nest_children(rows: list[dict]) -> list[dict]:
    """Put each outlet's row in its strip's "children" (every top-level row gets the key);
    an outlet whose strip is not in the list (a status filter) stays at the top level."""
    by_id = {row["id"]: {**row, "children": []} for row in rows}
    top = []
    for row in by_id.values():
        parent = by_id.get(row["parent"])
        (parent["children"] if parent else top).append(row)
    for row in top:
        for child in row["children"]:
            child.pop("children", None)
    return top


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


class DeviceTreeOut(DeviceOut):
    children = DeviceOut(
        many=True,
        required=False,
        help_text="Only with ?expand=children: a strip's outlets (empty for other devices).",
    )


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


class LockedOut(serializers.Serializer):
    ip = serializers.IPAddressField()
    model = serializers.CharField()
    mac = serializers.CharField()
    reason = serializers.ChoiceField(
        choices=["credentials_required", "credentials_rejected", "unreachable", "unsupported"]
    )


class DiscoverOut(serializers.Serializer):
    discovered = serializers.IntegerField()
    devices = DeviceOut(many=True)
    needs_credentials = LockedOut(
        many=True,
        help_text="Devices that answered but need (other) TP-Link account credentials.",
    )
    unreadable = LockedOut(many=True, help_text="Devices that answered but could not be read.")


def discovery_out(outcome) -> dict:
    """POST /api/discover's body; devices that answered but refused say why."""

    def locked(lock) -> dict:
        reason = lock.reason
        if reason == "auth_failed":
            reason = "credentials_rejected" if outcome.credentials_given else "credentials_required"
        return {"ip": lock.host, "model": lock.model, "mac": lock.mac, "reason": reason}

    refused = [locked(x) for x in outcome.locked if x.reason == "auth_failed"]
    return {
        "discovered": len(outcome.devices),
        "devices": [device_row(d) for d in outcome.devices],
        "needs_credentials": refused,
        "unreadable": [locked(x) for x in outcome.locked if x.reason != "auth_failed"],
    }


class CloudAccountIn(serializers.Serializer):
    username = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=254, write_only=True, trim_whitespace=False)

    def credentials(self) -> CloudCredentials:
        return CloudCredentials(self.validated_data["username"], self.validated_data["password"])


class CloudAccountOut(serializers.Serializer):
    configured = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)


def cloud_account_out() -> dict:
    from .cloud_account import household_status

    state = household_status()
    return {"configured": state["configured"], "updated_at": iso(state["updated_at"])}


class DeviceCredentialsIn(CloudAccountIn):
    household = serializers.BooleanField(
        default=True,
        help_text="true: they become the household's account; false: this device's own.",
    )


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
            # kept for credentials(); the view passes only the fields above on
            **{k: attrs[k] for k in ("username", "password") if k in attrs},
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
    auth_failed = serializers.IntegerField(help_text="Devices refusing their TP-Link account.")


class HistoryQuery(serializers.Serializer):
    start_time = RangeBoundField(required=False)
    end_time = RangeBoundField(required=False, end=True)
    interval = serializers.ChoiceField(choices=list(INTERVALS), default="1h")

    DEFAULT_SPAN = {"raw": 1, "1h": 1, "6h": 7, "1d": 30}  # days
    MAX_RAW_DAYS = 31

    def validate(self, attrs):
        end = attrs.get("end_time") or timezone.now()
        start = attrs.get("start_time") or end - timedelta(
            days=self.DEFAULT_SPAN[attrs["interval"]]
        )
        check_order(start, end, field="start_time", end_field="end_time")
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
    co2_kg = serializers.FloatField(allow_null=True, help_text="kg CO2 beside cost (None as cost)")


class StatsOut(serializers.Serializer):
    daily_usage_kwh = serializers.FloatField()
    weekly_usage_kwh = serializers.FloatField()
    monthly_usage_kwh = serializers.FloatField()
    daily_cost = serializers.FloatField(allow_null=True)
    weekly_cost = serializers.FloatField(allow_null=True)
    monthly_cost = serializers.FloatField(allow_null=True)
    daily_co2_kg = serializers.FloatField(allow_null=True, help_text="kg CO2 beside daily_cost")
    weekly_co2_kg = serializers.FloatField(allow_null=True)
    monthly_co2_kg = serializers.FloatField(allow_null=True)
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
