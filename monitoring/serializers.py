"""API shapes: *Input validates requests, *Output renders responses (and the schema)."""

from __future__ import annotations

import math

from rest_framework import serializers

from devices.selectors import devices_by_alias
from kasamonitor.addresses import AddressError, clean_host, clean_url

from .models import (
    Alert,
    AlertRule,
    Camera,
    NetworkHost,
    NotificationChannel,
    Severity,
)


def check_address(value: str) -> str:
    try:
        return clean_host(value)
    except AddressError as exc:
        raise serializers.ValidationError(str(exc)) from exc


def check_url(value: str, schemes: tuple[str, ...], *, credentials: bool = True) -> str:
    """Return the re-serialised URL (see kasamonitor.addresses) or a 400 saying why."""
    try:
        return clean_url(value, schemes=schemes, credentials=credentials).url
    except AddressError as exc:
        raise serializers.ValidationError(str(exc)) from exc


def address_field(max_length: int, **kwargs) -> serializers.CharField:
    # Not trimmed: a stray space or newline in an address is refused, never quietly cut.
    return serializers.CharField(max_length=max_length, trim_whitespace=False, **kwargs)


class RowIdField(serializers.PrimaryKeyRelatedField):
    """A row's id that refuses non-finite numbers: JSON's 1e309 parses as infinity, and DRF
    lets the OverflowError from int(inf) escape as a 500."""

    def to_internal_value(self, data):
        if isinstance(data, float) and not math.isfinite(data):
            self.fail("incorrect_type", data_type="non-finite number")
        return super().to_internal_value(data)


class MessageOutput(serializers.Serializer):
    msg = serializers.CharField()


# Alerts
# ------------------------------------------------------------------------------
class AlertOutput(serializers.ModelSerializer):
    device_id = serializers.IntegerField(allow_null=True)
    camera_id = serializers.IntegerField(allow_null=True)
    host_id = serializers.IntegerField(allow_null=True)
    rule_id = serializers.IntegerField(allow_null=True)
    device_name = serializers.CharField(source="subject_name", help_text="Device, camera or host.")
    subject_type = serializers.SerializerMethodField()
    rule_kind = serializers.CharField(source="rule.kind", allow_null=True, default=None)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", allow_null=True, default=None
    )
    resolved = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id", "device_id", "device_name", "camera_id", "host_id", "subject_type",
            "rule_id", "rule_kind", "severity", "message", "details", "created_at",
            "acknowledged", "acknowledged_at", "acknowledged_by", "resolved", "resolved_at",
        ]  # fmt: skip

    def get_subject_type(self, alert) -> str | None:
        for name in ("device", "camera", "host"):
            if getattr(alert, f"{name}_id"):
                return name
        return None

    def get_resolved(self, alert) -> bool:
        return alert.resolved_at is not None


class PaginationOutput(serializers.Serializer):
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    per_page = serializers.IntegerField()
    total = serializers.IntegerField()


class AlertListOutput(serializers.Serializer):
    alerts = AlertOutput(many=True)
    pagination = PaginationOutput()


# Bounds a database integer can hold: a bigger id or page overflowed SQLite's INTEGER (a 500).
MAX_ID = 2**63 - 1


def _row_id() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class AlertListQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    per_page = serializers.IntegerField(min_value=1, max_value=500, default=50)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    acknowledged = serializers.BooleanField(required=False, allow_null=True, default=None)
    resolved = serializers.BooleanField(required=False, allow_null=True, default=None)
    device_id = _row_id()
    camera_id = _row_id()
    host_id = _row_id()
    rule_id = _row_id()


class ManualAlertInput(serializers.Serializer):
    device_id = RowIdField(
        queryset=devices_by_alias(), required=False, allow_null=True, source="device"
    )
    camera_id = RowIdField(
        queryset=Camera.objects.all(), required=False, allow_null=True, source="camera"
    )
    host_id = RowIdField(
        queryset=NetworkHost.objects.all(), required=False, allow_null=True, source="host"
    )
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MEDIUM)
    message = serializers.CharField(max_length=255)


class AlertActionOutput(serializers.Serializer):
    msg = serializers.CharField()
    alert = AlertOutput()


class AcknowledgeAllInput(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_null=True)


class AcknowledgeAllOutput(serializers.Serializer):
    msg = serializers.CharField()
    count = serializers.IntegerField()


class RecentAlertOutput(serializers.ModelSerializer):
    device_name = serializers.CharField(source="subject_name")

    class Meta:
        model = Alert
        fields = ["id", "device_name", "severity", "message", "created_at", "acknowledged"]


class AlertSummaryOutput(serializers.Serializer):
    total = serializers.IntegerField()
    unacknowledged = serializers.IntegerField()
    open = serializers.IntegerField()
    critical = serializers.IntegerField(help_text="Unacknowledged critical alerts.")
    high = serializers.IntegerField()
    medium = serializers.IntegerField()
    low = serializers.IntegerField()
    info = serializers.IntegerField()
    recent = RecentAlertOutput(many=True)


# Rules and channels
# ------------------------------------------------------------------------------
class RuleSerializer(serializers.ModelSerializer):
    device_id = RowIdField(
        queryset=devices_by_alias(), required=False, allow_null=True, source="device"
    )
    camera_id = RowIdField(
        queryset=Camera.objects.all(), required=False, allow_null=True, source="camera"
    )
    host_id = RowIdField(
        queryset=NetworkHost.objects.all(), required=False, allow_null=True, source="host"
    )

    class Meta:
        model = AlertRule
        fields = [
            "id", "name", "kind", "device_id", "camera_id", "host_id", "threshold",
            "threshold_high", "duration_minutes", "settle_minutes", "period", "severity",
            "enabled", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]


class ChannelSerializer(serializers.ModelSerializer):
    target = address_field(1000, help_text="Email: comma-separated addresses; webhooks: the URL.")

    class Meta:
        model = NotificationChannel
        fields = [
            "id", "name", "kind", "target", "min_severity", "enabled", "notify_resolved",
            "daily_summary", "monthly_report", "last_sent_at", "last_error", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "last_sent_at", "last_error", "created_at"]


class ChannelTestOutput(serializers.Serializer):
    msg = serializers.CharField()
    delivered = serializers.BooleanField()
    error = serializers.CharField(allow_blank=True)


# Cameras
# ------------------------------------------------------------------------------
class CameraInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    ip_address = address_field(255, required=False, allow_blank=True)
    rtsp_url = address_field(500)
    username = serializers.CharField(max_length=64, required=False, allow_blank=True)
    password = serializers.CharField(
        max_length=128, required=False, allow_blank=True, write_only=True,
        style={"input_type": "password"},
    )  # fmt: skip
    location = serializers.CharField(max_length=100, required=False, allow_blank=True)
    snapshot_url = address_field(500, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)

    def validate_ip_address(self, value: str) -> str:
        return check_address(value) if value else value

    def validate_rtsp_url(self, value: str) -> str:
        return check_url(value, ("rtsp", "rtsps"))

    def validate_snapshot_url(self, value: str) -> str:
        return check_url(value, ("http", "https"), credentials=False) if value else value


class CameraOutput(serializers.ModelSerializer):
    has_password = serializers.BooleanField()

    class Meta:
        model = Camera
        fields = [
            "id", "name", "ip_address", "rtsp_url", "username", "has_password", "location",
            "status", "auth_required", "last_seen", "last_checked_at", "last_error",
            "last_snapshot", "snapshot_url", "enabled", "created_at", "updated_at",
        ]  # fmt: skip


class StreamOutput(serializers.Serializer):
    camera_id = serializers.IntegerField()
    name = serializers.CharField()
    protocol = serializers.CharField()
    transport = serializers.CharField()
    rtsp_url = serializers.CharField(help_text="With the username, never the password.")
    username = serializers.CharField(allow_blank=True)
    requires_auth = serializers.BooleanField()
    snapshot_url = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    last_seen = serializers.DateTimeField(allow_null=True)


class CameraTestResult(serializers.Serializer):
    camera_id = serializers.IntegerField()
    status = serializers.CharField()
    status_changed = serializers.BooleanField()
    auth_required = serializers.BooleanField()
    detail = serializers.CharField(allow_blank=True)
    server = serializers.CharField(allow_blank=True)
    latency_ms = serializers.FloatField(allow_null=True)


class CameraTestOutput(serializers.Serializer):
    msg = serializers.CharField()
    result = CameraTestResult()


class StatusCountsOutput(serializers.Serializer):
    total = serializers.IntegerField()
    online = serializers.IntegerField()
    offline = serializers.IntegerField()
    unknown = serializers.IntegerField()


class CameraStatusOutput(StatusCountsOutput):
    auth_required = serializers.IntegerField()


# Network hosts
# ------------------------------------------------------------------------------
class HostSerializer(serializers.ModelSerializer):
    port = serializers.IntegerField(min_value=1, max_value=65535, required=False)
    ip_address = address_field(255, help_text="IP address or host name.")

    class Meta:
        model = NetworkHost
        fields = [
            "id", "name", "ip_address", "port", "vendor", "device_type", "meta", "enabled",
            "status", "last_seen", "last_checked_at", "latency_ms", "last_error",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "status", "last_seen", "last_checked_at", "latency_ms", "last_error",
            "created_at", "updated_at",
        ]  # fmt: skip

    def validate_ip_address(self, value: str) -> str:
        return check_address(value)

    def validate_meta(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("meta must be a JSON object.")
        return value


class HostCheckResult(serializers.Serializer):
    host_id = serializers.IntegerField()
    status = serializers.CharField()
    status_changed = serializers.BooleanField()
    latency_ms = serializers.FloatField(allow_null=True)
    detail = serializers.CharField(allow_blank=True)


class HostCheckOutput(serializers.Serializer):
    msg = serializers.CharField()
    result = HostCheckResult()


class StatusQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=["online", "offline", "unknown"], required=False)
