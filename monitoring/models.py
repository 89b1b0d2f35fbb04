"""Alerts, alert rules, notification channels, cameras and network hosts."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q

from kasamonitor.addresses import AddressError, clean_host, clean_url


class Severity(models.TextChoices):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class Reachability(models.TextChoices):
    ONLINE = "online"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class NetworkHost(models.Model):
    """A switch, router, access point or server watched by a TCP connect to one port."""

    class Type(models.TextChoices):
        SWITCH = "switch"
        ROUTER = "router"
        ACCESS_POINT = "access_point"
        FIREWALL = "firewall"
        SERVER = "server"
        NAS = "nas"
        OTHER = "other"

    name = models.CharField(max_length=100)
    ip_address = models.CharField(max_length=255, help_text="IP address or host name.")
    port = models.PositiveIntegerField(default=80, help_text="TCP port the check connects to.")
    vendor = models.CharField(max_length=50, blank=True)
    device_type = models.CharField(max_length=20, choices=Type.choices, default=Type.OTHER)
    meta = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True, help_text="Checked when enabled.")
    status = models.CharField(
        max_length=10, choices=Reachability.choices, default=Reachability.UNKNOWN
    )
    last_seen = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "network host"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.ip_address = _checked(clean_host, "ip_address", self.ip_address)


def _checked(check, field: str, value: str, **kwargs) -> str:
    """Return check(value) re-serialised, or raise a ValidationError naming the field."""
    try:
        result = check(value, **kwargs)
    except AddressError as exc:
        raise ValidationError({field: str(exc)}) from exc
    return getattr(result, "url", result)


class Camera(models.Model):
    """A Kasa/Tapo or any RTSP camera; the password is Fernet-encrypted (monitoring.crypto)."""

    name = models.CharField(max_length=100)
    ip_address = models.CharField(max_length=255)
    rtsp_url = models.CharField(max_length=500, help_text="rtsp://host:554/path, no password.")
    username = models.CharField(max_length=64, blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)
    location = models.CharField(max_length=100, blank=True)
    snapshot_url = models.URLField(max_length=500, blank=True)
    last_snapshot = models.CharField(max_length=255, blank=True)
    enabled = models.BooleanField(default=True, help_text="Polled when enabled.")
    status = models.CharField(
        max_length=10, choices=Reachability.choices, default=Reachability.UNKNOWN
    )
    auth_required = models.BooleanField(
        default=False, help_text="The last DESCRIBE answered 401 (credentials missing or wrong)."
    )
    last_seen = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    def clean(self) -> None:
        self.rtsp_url = _checked(clean_url, "rtsp_url", self.rtsp_url, schemes=("rtsp", "rtsps"))
        if self.ip_address:
            self.ip_address = _checked(clean_host, "ip_address", self.ip_address)
        if self.snapshot_url:
            self.snapshot_url = _checked(
                clean_url, "snapshot_url", self.snapshot_url, schemes=("http", "https"),
                credentials=False,
            )  # fmt: skip


class AlertRule(models.Model):
    """A condition that raises (and later resolves) alerts by itself."""

    class Kind(models.TextChoices):
        DEVICE_OFFLINE = "device_offline", "Device offline"
        POWER_ABOVE = "power_above", "Power above threshold"
        APPLIANCE_FINISHED = "appliance_finished", "Appliance finished"
        STANDBY_LOAD = "standby_load", "Standby load"
        ENERGY_BUDGET = "energy_budget", "Energy budget exceeded"
        COST_BUDGET = "cost_budget", "Cost budget exceeded"
        CAMERA_UNREACHABLE = "camera_unreachable", "Camera unreachable"
        HOST_UNREACHABLE = "host_unreachable", "Host unreachable"

    class Period(models.TextChoices):
        DAY = "day"
        MONTH = "month"

    name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    device = models.ForeignKey(
        "devices.Device",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_rules",
        help_text="Empty: every device (budgets: the household total).",
    )
    camera = models.ForeignKey(
        Camera, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules"
    )
    host = models.ForeignKey(
        NetworkHost, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules"
    )
    threshold = models.FloatField(
        null=True,
        blank=True,
        help_text="Watts (power, appliance, standby lower bound), kWh or money (budgets).",
    )
    threshold_high = models.FloatField(
        null=True, blank=True, help_text="Standby: upper bound in watts (above = in use)."
    )
    duration_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Power/standby: how long the condition must hold; appliance: minimum run; "
        "offline: grace before alerting.",
    )
    settle_minutes = models.PositiveIntegerField(
        default=0, help_text="Appliance: how long power must stay low before 'finished'."
    )
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.DAY)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "id"]
        indexes = [models.Index(fields=["kind", "enabled"])]

    def __str__(self) -> str:
        return self.name or self.get_kind_display()

    def clean(self) -> None:
        errors = rule_errors(self)
        if errors:
            raise ValidationError(errors)


class Alert(models.Model):
    """One alert; rule alerts carry a key so only one per rule+subject is open at a time."""

    device = models.ForeignKey(
        "devices.Device", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    camera = models.ForeignKey(
        Camera, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    host = models.ForeignKey(
        NetworkHost, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    rule = models.ForeignKey(
        AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    message = models.CharField(max_length=255)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged = models.BooleanField(default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    key = models.CharField(max_length=120, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The database, not a read-then-write, stops two evaluators opening the same alert.
            models.UniqueConstraint(
                fields=["key"], condition=Q(resolved_at__isnull=True), name="one_open_alert_per_key"
            )
        ]
        indexes = [models.Index(fields=["acknowledged", "severity"])]

    def __str__(self) -> str:
        return f"[{self.severity}] {self.message}"

    @property
    def subject(self):
        return self.device or self.camera or self.host

    @property
    def subject_name(self) -> str:
        subject = self.subject
        return getattr(subject, "name", "") if subject is not None else ""


class NotificationChannel(models.Model):
    """Where alerts go: email addresses, a Slack-compatible webhook or a generic JSON webhook."""

    class Kind(models.TextChoices):
        EMAIL = "email"
        SLACK = "slack", "Slack-compatible webhook"
        WEBHOOK = "webhook", "Generic webhook"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target = models.CharField(
        max_length=1000, help_text="Email: comma-separated addresses; webhooks: the URL."
    )
    min_severity = models.CharField(
        max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    enabled = models.BooleanField(default=True)
    notify_resolved = models.BooleanField(
        default=True, help_text="Also send 'back online' notices when an outage alert resolves."
    )
    daily_summary = models.BooleanField(default=True, help_text="Receives the daily summary.")
    monthly_report = models.BooleanField(
        default=False, help_text="Receives the report of each billing period when it closes."
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "notification channel"

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def clean(self) -> None:
        try:
            self.target = checked_target(self.kind, self.target)
        except ValueError as exc:
            raise ValidationError({"target": str(exc)}) from exc

    def accepts(self, severity: str) -> bool:
        return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK[self.min_severity]


class MonthlyReport(models.Model):
    """One closed billing period's report to one channel: the row is made before the report
    is sent, once (unique), so a period is reported at most once per channel however many
    workers look; sent_at says it went."""

    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="monthly_reports"
    )
    period_start = models.DateTimeField(help_text="UTC: the billing period's first moment.")
    first_day = models.DateField()
    last_day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "channel_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "period_start"], name="monthly_report_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_day}..{self.last_day} to {self.channel_id}"


DEVICE_RULES = {"device_offline", "power_above", "appliance_finished", "standby_load"}
NEEDS_THRESHOLD = DEVICE_RULES - {"device_offline"} | {"energy_budget", "cost_budget"}
NEEDS_DURATION = {"power_above", "appliance_finished", "standby_load"}
SUBJECT_FIELDS = {"camera_unreachable": "camera", "host_unreachable": "host"}


def rule_errors(rule: AlertRule) -> dict[str, str]:
    """Return {field: problem} for a rule whose settings don't fit its kind."""
    errors: dict[str, str] = {}
    if rule.kind in NEEDS_THRESHOLD and (rule.threshold is None or rule.threshold < 0):
        errors["threshold"] = f"A {rule.kind} rule needs a threshold of 0 or more."
    if rule.kind in NEEDS_DURATION and rule.duration_minutes is None:
        errors["duration_minutes"] = f"A {rule.kind} rule needs duration_minutes."
    high, low = rule.threshold_high, rule.threshold
    if high is not None and low is not None and high <= low:
        errors["threshold_high"] = "threshold_high must be above threshold."
    allowed = SUBJECT_FIELDS.get(rule.kind, "device")
    for name in ("device", "camera", "host"):
        if name != allowed and getattr(rule, f"{name}_id") is not None:
            errors[name] = f"A {rule.kind} rule cannot name a {name}."
    return errors


def checked_target(kind: str, target: str) -> str:
    """Return the target to store (a webhook URL re-serialised); raise ValueError if bad."""
    if kind == NotificationChannel.Kind.EMAIL:
        addresses = [a.strip() for a in target.replace(";", ",").split(",") if a.strip()]
        if not addresses:
            raise ValueError("Give at least one email address.")
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError as exc:
                raise ValueError(f"Not an email address: {address!r}") from exc
        return target
    # Any host name is fine (a LAN name like "homeassistant" too); only the scheme is
    # restricted, because urllib would also open file:// URLs.
    try:
        return clean_url(target, schemes=("http", "https")).url
    except AddressError as exc:
        raise ValueError(f"Webhook URLs must be clean http:// or https:// URLs: {exc}") from exc
